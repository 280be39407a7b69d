import { collectNodeMetrics } from '@baton/platform';
import type { FastifyInstance } from 'fastify';
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { Services } from '../services.js';

/** Metrics of this process only: Node defaults, HTTP request durations, open SSE streams. */
export function registerProcessMetrics(app: FastifyInstance, registry: Registry, s: Services): void {
  collectNodeMetrics(registry);
  const duration = new Histogram({
    name: 'baton_http_request_duration_seconds',
    help: 'HTTP request duration by route template and status class',
    labelNames: ['method', 'route', 'status_class'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  app.addHook('onResponse', async (req, reply) => {
    duration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status_class: `${Math.floor(reply.statusCode / 100)}xx` },
      reply.elapsedTime / 1000,
    );
  });
  new Gauge({
    name: 'baton_engine_sse_subscribers',
    help: 'Open run event streams on this orchestrator process',
    registers: [registry],
    collect() {
      this.set(s.notices.size());
    },
  });
}
