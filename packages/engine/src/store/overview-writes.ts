import {
  durationBucket,
  OVERVIEW_MINUTE_MS,
  OVERVIEW_RETENTION_MINUTES,
  overviewField,
  overviewMinute,
  SIGNAL_AGENT,
  type Keys,
  type RunEvent,
} from '@baton/contracts';
import type { RunDoc } from '../run-doc.js';
import type { OpList } from './ops.js';

/**
 * The overview's exact counters (contracts/overview.ts), as increments of the transition's minute
 * hash: runs finished by outcome, stage execution times by agent type in duration buckets.
 */
export function overviewDeltas(doc: RunDoc, events: readonly RunEvent[]): Map<string, number> {
  const d = new Map<string, number>();
  const inc = (field: string) => d.set(field, (d.get(field) ?? 0) + 1);
  for (const e of events) {
    if (e.type === 'run.succeeded' || e.type === 'run.failed' || e.type === 'run.cancelled') inc(overviewField.runs(e.type.slice(4) as 'succeeded'));
    else if (e.type === 'stage.succeeded' || e.type === 'stage.failed') {
      const st = doc.stages[e.stage];
      if (st?.startedAt == null || st.finishedAt == null) continue;
      const def = doc.definition.stages.find((s) => s.name === e.stage);
      const agent = def?.waitFor ? SIGNAL_AGENT : (def?.agent ?? 'unknown');
      inc(overviewField.stage(agent, durationBucket(Math.max(0, st.finishedAt - st.startedAt) / 1000)));
    }
  }
  return d;
}

/**
 * Adds the overview counters of a transition to its commit: a few HINCRBY on the minute's hash and
 * an (idempotent) PEXPIREAT that bounds it. Nothing when the transition finished nothing. Being in
 * the compare-and-set commit, a retried or concurrent commit of the same fact counts once.
 */
export function overviewWrites(ops: OpList, k: Keys, doc: RunDoc, events: readonly RunEvent[]): void {
  const d = overviewDeltas(doc, events);
  if (d.size === 0) return;
  const minute = overviewMinute(doc.updatedAt);
  const key = k.overviewMinute(minute);
  for (const [field, n] of d) ops.hincrby(key, field, n);
  ops.pexpireat(key, (minute + 1 + OVERVIEW_RETENTION_MINUTES) * OVERVIEW_MINUTE_MS);
}
