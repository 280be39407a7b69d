import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * prom-client's Node defaults, minus three gauges whose names end in `_total` (Prometheus reserves
 * that suffix for counters, and `promtool check metrics` rejects them).
 */
export function collectNodeMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
}
