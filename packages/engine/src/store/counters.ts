import { APPROVAL_AGENT, SIGNAL_AGENT, type RunEvent } from '@baton/contracts';
import type { RunDoc } from '../run-doc.js';

/**
 * Fleet-wide metrics live in one Redis hash and are incremented inside the same atomic commit as the
 * transition they describe, so they are exact whichever orchestrator instance (or PM2 worker)
 * applied it, and survive restarts.
 *
 * Counter field: `<metric>|<label>=<value>|...`. Histogram fields: `<metric>_bucket|<labels>|le=<b>`
 * (non-cumulative count for the bucket `(previous bound, b]`) and `<metric>_sum|<labels>` (float).
 * A histogram's count is the sum of its buckets (every observation lands in exactly one), so it is
 * derived when read instead of written with each observation (`_count` fields that older versions
 * wrote are ignored). Label values come from restricted alphabets without "|" or "=".
 */
export function counterField(metric: string, labels: Record<string, string> = {}): string {
  return [metric, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)].join('|');
}

export function parseCounterField(field: string): { metric: string; labels: Record<string, string> } {
  const [metric, ...pairs] = field.split('|');
  const labels: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq > 0) labels[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return { metric: metric ?? '', labels };
}

export interface FleetHistogram {
  help: string;
  labels: string[];
  buckets: number[];
}

/** Histograms derived from run transitions (seconds). */
export const FLEET_HISTOGRAMS = {
  run_duration_seconds: {
    help: 'Time from submission to the final status of a run',
    labels: ['pipeline', 'status'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
  },
  stage_queue_wait_seconds: {
    help: 'Time a stage waited in its queue before an agent started it (recorded when the stage finishes)',
    labels: ['agent'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  },
  stage_execution_seconds: {
    help: 'Time from a stage starting to its final result, by outcome',
    labels: ['agent', 'outcome'],
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
  },
  approval_wait_seconds: {
    help: 'Time an approval stage waited for its decision, by decision (approved, rejected, timed-out)',
    labels: ['decision'],
    buckets: [10, 60, 300, 900, 3600, 4 * 3600, 86_400, 7 * 86_400],
  },
} as const satisfies Record<string, FleetHistogram>;

export type FleetHistogramName = keyof typeof FLEET_HISTOGRAMS;

export interface MetricDeltas {
  ints: Map<string, number>;
  floats: Map<string, number>;
}

function observe(d: MetricDeltas, name: FleetHistogramName, labels: Record<string, string>, seconds: number): void {
  if (!Number.isFinite(seconds) || seconds < 0) return;
  const h = FLEET_HISTOGRAMS[name];
  const bound = h.buckets.find((b) => seconds <= b);
  const le = bound === undefined ? '+Inf' : String(bound);
  const inc = (field: string) => d.ints.set(field, (d.ints.get(field) ?? 0) + 1);
  inc(counterField(`${name}_bucket`, { ...labels, le }));
  const sum = counterField(`${name}_sum`, labels);
  d.floats.set(sum, (d.floats.get(sum) ?? 0) + seconds);
}

export function metricDeltas(doc: RunDoc, events: RunEvent[]): MetricDeltas {
  const d: MetricDeltas = { ints: new Map(), floats: new Map() };
  const inc = (field: string, n = 1) => d.ints.set(field, (d.ints.get(field) ?? 0) + n);
  const pipeline = doc.pipeline.name;
  const defOf = (stage: string) => doc.definition.stages.find((s) => s.name === stage);
  // A signal stage carries the placeholder agent "approval"; its metrics say "signal".
  const agentOf = (stage: string) => {
    const def = defOf(stage);
    return def?.waitFor ? SIGNAL_AGENT : (def?.agent ?? 'unknown');
  };
  inc(counterField('engine_transitions_total'));
  for (const e of events) {
    switch (e.type) {
      case 'run.created':
        inc(counterField('runs_submitted_total', { pipeline }));
        break;
      case 'run.succeeded':
      case 'run.failed':
      case 'run.cancelled': {
        const status = e.type.slice(4);
        inc(counterField('runs_finished_total', { pipeline, status }));
        observe(d, 'run_duration_seconds', { pipeline, status }, ((doc.finishedAt ?? doc.updatedAt) - doc.createdAt) / 1000);
        break;
      }
      case 'stage.succeeded':
      case 'stage.failed': {
        const outcome = e.type === 'stage.succeeded' ? 'succeeded' : 'failed';
        const agent = agentOf(e.stage);
        inc(counterField('stages_finished_total', { agent, outcome }));
        const st = doc.stages[e.stage];
        if (st?.startedAt != null && st.finishedAt != null) observe(d, 'stage_execution_seconds', { agent, outcome }, (st.finishedAt - st.startedAt) / 1000);
        // Observed at the end (a fast stage may finish before its "started" notice is applied).
        if (st?.startedAt != null && st.queuedAt != null) observe(d, 'stage_queue_wait_seconds', { agent }, (st.startedAt - st.queuedAt) / 1000);
        if (agent === APPROVAL_AGENT && st?.startedAt != null && st.finishedAt != null) {
          observe(d, 'approval_wait_seconds', { decision: approvalDecision(e) }, (st.finishedAt - st.startedAt) / 1000);
        }
        // Model spend, committed with the result that carries it (control/budget.ts put it on the stage).
        if (st?.usage && st.usage.calls > 0) {
          const labels = { pipeline, agent, model: (st.usage.model ?? 'unknown').replace(/[|=]/g, '_') };
          inc(counterField('model_tokens_total', { ...labels, kind: 'input' }), st.usage.inputTokens);
          inc(counterField('model_tokens_total', { ...labels, kind: 'output' }), st.usage.outputTokens);
          const cost = counterField('model_cost_total', labels);
          d.floats.set(cost, (d.floats.get(cost) ?? 0) + st.usage.costUsd);
        }
        if (e.type === 'stage.failed') {
          inc(counterField('stage_failures_total', { agent, code: e.error.code }));
          if (e.error.code === 'STAGE_TIMEOUT') inc(counterField('stage_timeouts_total', { agent }));
        }
        break;
      }
      case 'stage.retrying':
        inc(counterField('stage_retries_total', { agent: agentOf(e.stage) }));
        break;
      case 'stage.item.succeeded':
      case 'stage.item.failed':
        inc(counterField('fanout_items_finished_total', { agent: agentOf(e.stage), outcome: e.type === 'stage.item.succeeded' ? 'succeeded' : 'failed' }));
        break;
      case 'stage.item.retrying':
        inc(counterField('fanout_item_retries_total', { agent: agentOf(e.stage) }));
        break;
      default:
        break;
    }
  }
  return d;
}

/** approved | rejected | timed-out, from an approval stage's final event (control/approval.ts). */
function approvalDecision(e: Extract<RunEvent, { type: 'stage.succeeded' | 'stage.failed' }>): string {
  if (e.type === 'stage.succeeded') return 'approved';
  return e.error.details?.decision === 'timed-out' ? 'timed-out' : 'rejected';
}
