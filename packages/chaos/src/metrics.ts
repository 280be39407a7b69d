import { parsePromText, promSum } from '@baton/testing';
import type { ChaosStack } from './stack.js';

/** Sums of fleet metrics (GET /metrics of a live orchestrator) by metric name. */
export async function fleetMetrics(stack: ChaosStack, names: readonly string[], labels: Record<string, string> = {}): Promise<Record<string, number>> {
  const res = await fetch(`${stack.url()}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET /metrics: ${res.status}`);
  const samples = parsePromText(await res.text());
  return Object.fromEntries(names.map((n) => [n, promSum(samples, n, labels)]));
}
