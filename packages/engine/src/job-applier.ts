import { parseJobId, type TaskEnvelope } from '@baton/contracts';
import type { Job } from 'bullmq';
import type { EngineContext } from './context.js';
import { applyFacts, jobFacts, resultFact, type JobFact } from './job-facts.js';
import type { JobStateName } from './queues.js';
import type { LoadedRun } from './store/run-store.js';
import { counterField } from './store/counters.js';

type JobIds = NonNullable<ReturnType<typeof parseJobId>>;

/**
 * Folds what a job's current state says into its run. Safe to call any number of times, from any
 * orchestrator, for any job: a fact already applied (or about a superseded dispatch) changes nothing.
 * A finished job is removed from its queue only after its result is committed to the run.
 * Returns true when a transition was committed.
 */
export async function applyJob(
  ctx: EngineContext,
  agentType: string,
  jobId: string,
  /**
   * Leave a finished job alone: the caller knows its completion event is on its way (see
   * JobEventListener's "active" timer), which applies it without reading the job.
   */
  unlessFinished = false,
): Promise<boolean> {
  const ids = parseJobId(jobId);
  if (!ids) {
    ctx.log.warn({ jobId, agent: agentType }, 'ignoring a job whose id Baton did not make');
    return false;
  }
  // Usually the completion is already behind the "active" event that sent us here: one HMGET
  // instead of reading the job's state and data (about ten commands) to find that out.
  if (unlessFinished && (await ctx.queues.finishedOrGone(agentType, jobId))) return false;
  // The run is read alongside the job (one round trip); the commit's revision check still decides.
  const recent = ctx.store.recent(ids.runId);
  const [read, run] = await Promise.all([readConsistently(ctx, agentType, jobId), recent ?? ctx.store.load(ids.runId)]);
  if (!read) return false;
  const { job, state } = read;
  const finished = state === 'completed' || state === 'failed';
  if (unlessFinished && finished) return false;
  const facts = jobFacts(job, state, ctx.now());
  if (facts.length === 0) return false;
  return commitFacts(ctx, agentType, jobId, ids, facts, finished, run);
}

/**
 * Applies a completion read from the queue's event stream, which BullMQ writes in the same script
 * that completes the job, so its result needs no further read. Anything unusual (an unreadable
 * result) goes through applyJob, which reads the job itself.
 */
export async function applyCompletion(ctx: EngineContext, agentType: string, jobId: string, resultJson: string): Promise<boolean> {
  let fact: JobFact | null = null;
  try {
    const r = resultFact(JSON.parse(resultJson));
    if (r.ok) fact = r.fact;
  } catch {
    // not JSON: applyJob reports it
  }
  const ids = parseJobId(jobId);
  if (!ids || !fact) return applyJob(ctx, agentType, jobId);
  // The run as this process last committed it, if it did: usually the previous stage's commit.
  return commitFacts(ctx, agentType, jobId, ids, [fact], true, ctx.store.recent(ids.runId) ?? undefined);
}

/**
 * Commits a job's facts to its run and makes the queues follow. A finished job whose facts change
 * nothing was already applied (by us or another orchestrator), is superseded, or its run is gone:
 * it is dropped from its queue.
 */
async function commitFacts(
  ctx: EngineContext,
  agentType: string,
  jobId: string,
  ids: JobIds,
  facts: JobFact[],
  finished: boolean,
  preloaded?: LoadedRun | null,
): Promise<boolean> {
  // In this run's commit lane: facts arriving together (a fan-out's items) share one commit.
  const r = await ctx.lanes.apply(ctx, ids.runId, (doc, now) => applyFacts(doc, ids.stage, ids.dispatch, facts, now, ids.item), preloaded);
  if (r === 'committed') return true;
  if (finished) {
    ctx.count(counterField('engine_duplicate_completions_total'));
    await ctx.queues.remove(agentType, jobId);
  }
  return false;
}

/**
 * A job's state and data as of one moment, retrying if the job moved in between (e.g. completed while
 * we read it as active).
 */
async function readConsistently(ctx: EngineContext, agentType: string, jobId: string): Promise<{ job: Job<TaskEnvelope>; state: JobStateName } | null> {
  for (let i = 0; i < 5; i++) {
    // State and data in one round trip. The data may still have been read first, so a finished state
    // is trusted only with data that shows the job finished (finishedOn and the result are written
    // together), else the data is read again; any other state is confirmed by a third read.
    const [before, job] = await Promise.all([ctx.queues.state(agentType, jobId), ctx.queues.getJob(agentType, jobId)]);
    if (before === 'unknown' || !job) return null;
    if (before === 'completed' || before === 'failed') {
      if (job.finishedOn) return { job, state: before };
      // Possibly read before the job finished: read the data again, now certainly after.
      const after = await ctx.queues.getJob(agentType, jobId);
      return after ? { job: after, state: before } : null;
    }
    if ((await ctx.queues.state(agentType, jobId)) === before) return { job, state: before };
  }
  return null;
}
