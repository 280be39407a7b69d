import { jobIdFor } from '@baton/contracts';
import type { RunDoc } from './run-doc.js';

/**
 * The jobs a run document wants on the agent queues: one per queued or running stage, and for a
 * fan-out stage one per queued or running item. Effects, the superseded-jobs record and the repair
 * path all compare documents through this one view, so an item is handled exactly like a stage.
 */
export interface LiveJob {
  stage: string;
  agent: string;
  dispatch: number;
  /** The item index of a fan-out stage's job; null for a stage's own job. */
  item: number | null;
  jobId: string;
  status: 'queued' | 'running';
}

export function liveJobs(doc: RunDoc): LiveJob[] {
  const out: LiveJob[] = [];
  for (const def of doc.definition.stages) {
    const st = doc.stages[def.name];
    if (!st || (st.status !== 'queued' && st.status !== 'running')) continue;
    if (def.forEach === undefined) {
      out.push({ stage: def.name, agent: def.agent, dispatch: st.dispatch, item: null, jobId: jobIdFor(doc.id, def.name, st.dispatch), status: st.status });
      continue;
    }
    const s = st.fanOut?.s ?? '';
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (c !== 'q' && c !== 'r') continue;
      out.push({ stage: def.name, agent: def.agent, dispatch: st.dispatch, item: i, jobId: jobIdFor(doc.id, def.name, st.dispatch, i), status: c === 'q' ? 'queued' : 'running' });
    }
  }
  return out;
}

/** Job ids of the jobs that ended by their own result (a stage or item that succeeded or failed). */
export function finishedJobIds(doc: RunDoc): Set<string> {
  const out = new Set<string>();
  for (const def of doc.definition.stages) {
    const st = doc.stages[def.name];
    if (!st || st.dispatch === 0) continue;
    if (def.forEach === undefined) {
      if (st.status === 'succeeded' || st.status === 'failed') out.add(jobIdFor(doc.id, def.name, st.dispatch));
      continue;
    }
    const s = st.fanOut?.s ?? '';
    for (let i = 0; i < s.length; i++) if (s[i] === 's' || s[i] === 'f') out.add(jobIdFor(doc.id, def.name, st.dispatch, i));
  }
  return out;
}

/** Jobs live in `prev` that `next` no longer wants (with the view of `next` the caller may reuse). */
export function droppedJobs(prev: RunDoc, next: RunDoc): LiveJob[] {
  const before = liveJobs(prev);
  if (before.length === 0) return [];
  const after = new Set(liveJobs(next).map((j) => j.jobId));
  return before.filter((j) => !after.has(j.jobId));
}

/** Jobs `next` wants queued that `prev` did not (each is dispatched once, by the commit's effects). */
export function addedJobs(prev: RunDoc, next: RunDoc): LiveJob[] {
  const after = liveJobs(next).filter((j) => j.status === 'queued');
  if (after.length === 0) return [];
  const before = new Set(liveJobs(prev).map((j) => j.jobId));
  return after.filter((j) => !before.has(j.jobId));
}
