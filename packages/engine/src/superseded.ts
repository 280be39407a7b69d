import { jobIdFor, supersededMember } from '@baton/contracts';
import { errorMessage } from '@baton/platform';
import type { EngineContext } from './context.js';
import { sendControl } from './control.js';
import { unguarded, type PassGuard } from './lease.js';
import { addedJobs, droppedJobs, finishedIn } from './jobs.js';
import type { RunDoc } from './run-doc.js';

/**
 * Superseded jobs: a stage dispatch whose job may still sit in (or come back to) its queue although
 * the run no longer wants it — cancelled, skipped, taken back by a pause, or replaced by a newer
 * dispatch. The commit that supersedes it records it (atomically with the new run document), the
 * agent runtime refuses to start a recorded job, and the repair pass removes recorded jobs until
 * they are gone, whatever the run's status.
 */

/**
 * Jobs `prev -> next` supersedes (stage jobs and fan-out item jobs alike, see jobs.ts). A stage or
 * item that ended `succeeded` or `failed` ended by its own job's result, so its job is finished
 * already and is not recorded.
 */
export function supersededJobs(prev: RunDoc, next: RunDoc): string[] {
  return droppedJobs(prev, next)
    .filter((j) => !finishedIn(next, j))
    .map((j) => supersededMember(j.agent, j.jobId));
}

/**
 * Fan-out item jobs `prev -> next` queues again under a job id an earlier commit recorded as
 * superseded: an item a pause took back keeps its job id (same dispatch, same index) when the
 * resume queues it anew. The commit that wants the job again removes the record, or the agent would
 * refuse it and the repair pass remove it. (A stage's new job always has a new dispatch, a new id.)
 */
export function rewantedJobs(prev: RunDoc, next: RunDoc): string[] {
  return addedJobs(prev, next)
    .filter((j) => j.item !== null)
    .map((j) => supersededMember(j.agent, j.jobId));
}

/**
 * Jobs a paused run holds: its live dispatches (queued, or running and maybe retried later). They
 * are recorded in the same set with score HELD_SCORE, so the agent runtime's check before a handler
 * starts refuses them — a retry without backoff, or a job a stalled check put back, never starts a
 * new attempt while the run is paused — but the repair pass leaves them (a running attempt
 * finishes). The commit that resumes, cancels or finishes the stage releases them; a refused job's
 * result takes the stage back (control/pause.ts).
 */
export const HELD_SCORE = 0;

export function heldJobs(doc: RunDoc): Set<string> {
  const out = new Set<string>();
  if (doc.status !== 'paused') return out;
  for (const def of doc.definition.stages) {
    const st = doc.stages[def.name];
    if (st && (st.status === 'queued' || st.status === 'running')) out.add(supersededMember(def.agent, jobIdFor(doc.id, def.name, st.dispatch)));
  }
  return out;
}

/**
 * The repair path: removes each recorded job from its queue; a job an agent holds is asked to abort
 * and stays recorded until a later pass finds it gone. Returns how many jobs were removed.
 */
export async function removeSupersededJobs(ctx: EngineContext, maxPerPass = 500, guard: PassGuard = unguarded): Promise<number> {
  const key = ctx.keys.supersededJobs();
  // Superseded jobs only: held ones (score HELD_SCORE) stay until their run resumes.
  const members = await ctx.redis.zrangebyscore(key, `(${HELD_SCORE}`, '+inf', 'LIMIT', 0, maxPerPass);
  let removed = 0;
  for (const member of members) {
    const sep = member.indexOf('|');
    const agentType = member.slice(0, sep);
    const jobId = member.slice(sep + 1);
    await guard();
    try {
      const r = await ctx.queues.remove(agentType, jobId);
      if (r === 'locked') {
        await sendControl(ctx.redis, ctx.keys, agentType, { kind: 'cancel', jobId, reason: 'the stage is no longer wanted' });
        continue;
      }
      if (r === 'removed') removed++;
      await ctx.redis.zrem(key, member);
    } catch (e: unknown) {
      ctx.log.warn({ jobId, agent: agentType, err: errorMessage(e) }, 'could not remove a superseded job; the next pass retries');
    }
  }
  return removed;
}
