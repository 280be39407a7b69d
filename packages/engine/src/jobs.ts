import { jobIdFor, type StageDefinition } from '@baton/contracts';
import type { RunDoc, StageState } from './run-doc.js';

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

/** True when `job` ended by its own result in `doc` (as finishedJobIds, for one job). */
export function finishedIn(doc: RunDoc, job: LiveJob): boolean {
  const st = doc.stages[job.stage];
  if (!st || st.dispatch !== job.dispatch || st.dispatch === 0) return false;
  if (job.item === null) return st.status === 'succeeded' || st.status === 'failed';
  const c = st.fanOut?.s[job.item];
  return c === 's' || c === 'f';
}

const isLive = (st: StageState | undefined): st is StageState => st !== undefined && (st.status === 'queued' || st.status === 'running');

/**
 * The jobs of one stage live in `a` and not in `b` (both states of the same stage; `onlyQueued`:
 * only those `a` has queued). Looks only at what changed: an item whose character is the same in
 * both is skipped, so a fact about one item of a wide fan-out costs no job list of all the others.
 */
function stageJobsGone(doc: RunDoc, def: StageDefinition, a: StageState | undefined, b: StageState | undefined, onlyQueued: boolean): LiveJob[] {
  if (!isLive(a)) return [];
  const job = (item: number | null, status: 'queued' | 'running'): LiveJob => ({
    stage: def.name,
    agent: def.agent,
    dispatch: a.dispatch,
    item,
    jobId: item === null ? jobIdFor(doc.id, def.name, a.dispatch) : jobIdFor(doc.id, def.name, a.dispatch, item),
    status,
  });
  const sameDispatch = isLive(b) && b.dispatch === a.dispatch;
  if (def.forEach === undefined) {
    if (sameDispatch || (onlyQueued && a.status !== 'queued')) return [];
    return [job(null, a.status === 'queued' ? 'queued' : 'running')];
  }
  const sa = a.fanOut?.s ?? '';
  const sb = sameDispatch ? (b.fanOut?.s ?? '') : '';
  if (sa === sb) return [];
  const out: LiveJob[] = [];
  for (let i = 0; i < sa.length; i++) {
    const c = sa[i];
    if (c !== 'q' && (c !== 'r' || onlyQueued)) continue;
    const d = sb[i];
    if (d === 'q' || d === 'r') continue;
    out.push(job(i, c === 'q' ? 'queued' : 'running'));
  }
  return out;
}

/** Jobs live in `prev` that `next` no longer wants. */
export function droppedJobs(prev: RunDoc, next: RunDoc): LiveJob[] {
  return next.definition.stages.flatMap((def) => stageJobsGone(prev, def, prev.stages[def.name], next.stages[def.name], false));
}

/** Jobs `next` wants queued that `prev` did not (each is dispatched once, by the commit's effects). */
export function addedJobs(prev: RunDoc, next: RunDoc): LiveJob[] {
  return next.definition.stages.flatMap((def) => stageJobsGone(next, def, next.stages[def.name], prev.stages[def.name], true));
}
