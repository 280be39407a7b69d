import { jobIdFor, type TaskEnvelope } from '@baton/contracts';
import { errorMessage } from '@baton/platform';
import type { EngineContext } from './context.js';
import { itemFinished, unqueueItem } from './control/for-each.js';
import { sendControl } from './control.js';
import { bullPriority } from './control/priority.js';
import { buildEnvelope } from './envelope.js';
import { addedJobs, droppedJobs, liveJobs, type LiveJob } from './jobs.js';
import { recordResolvedInput } from './resolved-inputs.js';
import { mutateRun, type Committed } from './mutate.js';
import { slotEffects } from './slots.js';
import { markFinished, markItem, unqueue } from './reducer.js';
import { stageDef, type RunDoc } from './run-doc.js';
import type { QueuedJob } from './queues.js';

/**
 * Makes the queues follow a committed transition: adds jobs for newly queued stages (and fan-out
 * items), removes (or cancels, when an agent holds them) jobs that are no longer live, and takes
 * queued jobs off the queue when the run is paused. Failures are logged, not thrown: the state is
 * already committed, and the reconciler repairs whatever this could not do.
 */
export async function applyEffects(ctx: EngineContext, c: Committed): Promise<void> {
  const prev = c.prev.doc;
  const next = c.next.doc;
  const work: Promise<void>[] = [];
  const attempt = (stage: string, fn: () => Promise<void>) =>
    work.push(fn().catch((e: unknown) => ctx.log.warn({ runId: next.id, stage, err: errorMessage(e) }, 'stage effect failed; the reconciler will retry')));
  // All at once; new jobs are issued first. A finished job the transition dropped (usually the one
  // whose result it applied) was already removed by the commit itself (commit-extras.ts).
  for (const job of addedJobs(prev, next)) attempt(job.stage, () => dispatchJob(ctx, next, job, c.envelopes?.get(job.jobId)));
  for (const job of droppedJobs(prev, next)) {
    // Removed by the commit itself (it was finished), or not finished when the commit looked.
    if (c.removed?.has(job.jobId)) continue;
    const status = next.stages[job.stage]?.status ?? 'gone';
    attempt(job.stage, () => disposeJob(ctx, job.agent, job.jobId, `stage is ${status}`, c.removed !== undefined));
  }
  await Promise.all(work);
  // A paused run starts no new attempt: take back what waits for an agent now, whether the pause
  // itself was just committed or a retry was (a stage in a retry's backoff), not on a later repair pass.
  if (next.status === 'paused' && (prev.status !== 'paused' || becameQueued(prev, next))) await unqueueWaiting(ctx, next);
  if (prev.slots !== undefined || next.slots !== undefined) await slotEffects(ctx, prev, next);
}

const becameQueued = (prev: RunDoc, next: RunDoc) =>
  Object.entries(next.stages).some(([name, b]) => b.status === 'queued' && (prev.stages[name]?.status !== 'queued' || prev.stages[name]?.attempts !== b.attempts));

/** Puts a queued stage's job on its agent queue (or fails the stage if its input cannot be resolved). */
export async function dispatchStage(ctx: EngineContext, doc: RunDoc, stage: string): Promise<void> {
  const st = doc.stages[stage]!;
  await dispatchJob(ctx, doc, { stage, agent: stageDef(doc, stage).agent, dispatch: st.dispatch, item: null, jobId: jobIdFor(doc.id, stage, st.dispatch), status: 'queued' });
}

/**
 * Puts a live job (a stage's, or a fan-out item's) on its agent queue, or fails it if its input cannot
 * be resolved. `prebuilt`: its envelope, built from `doc` by the commit that queued it, which also
 * recorded its resolved input (commit-extras.ts).
 */
export async function dispatchJob(ctx: EngineContext, doc: RunDoc, job: LiveJob, prebuilt?: TaskEnvelope): Promise<void> {
  const queued = prebuilt ? queuedJob(doc, job, prebuilt) : await prepareJob(ctx, doc, job);
  if (!queued) return;
  await ctx.queues.add(queued.envelope, queued.jobId, queued.stage, queued.priority, queued.attemptsUsed);
  ctx.log.debug({ runId: doc.id, stage: job.stage, jobId: job.jobId }, 'stage dispatched');
}

/**
 * What dispatching a live job adds to its queue (its resolved input is recorded); null when its
 * input cannot be resolved, in which case the job's failure was committed instead.
 */
export async function prepareJob(ctx: EngineContext, doc: RunDoc, job: LiveJob): Promise<QueuedJob | null> {
  const { stage, dispatch, item } = job;
  const built = buildEnvelope(doc, stage, item, ctx.config.maxStageInputBytes);
  if ('error' in built) {
    const now = ctx.now();
    const outcome = { ok: false as const, error: built.error, agentId: null, attempt: 0, startedAt: null, finishedAt: now };
    const committed = await mutateRun(ctx, doc.id, (d, t) =>
      item === null ? markFinished(d, { stage, dispatch, outcome }, t) : markItem(d, (x) => itemFinished(x, { stage, dispatch, item, outcome }), t),
    );
    if (committed) await applyEffects(ctx, committed);
    return null;
  }
  // The resolved input of a stage's own job (a fan-out's items each have their own, in their envelopes).
  if (item === null) recordResolvedInput(ctx, doc.id, stage, dispatch, built.envelope.input);
  return queuedJob(doc, job, built.envelope);
}

function queuedJob(doc: RunDoc, job: LiveJob, envelope: TaskEnvelope): QueuedJob {
  return {
    envelope,
    jobId: job.jobId,
    stage: stageDef(doc, job.stage),
    priority: bullPriority(doc),
    attemptsUsed: job.item === null ? (doc.stages[job.stage]?.attemptBase ?? 0) : 0,
  };
}

/**
 * Removes a job that is no longer wanted; asks the agent holding it to abort when it is running.
 * `notFinished`: a commit just found it unfinished (and removed it otherwise), so the finished-job
 * shortcut is skipped.
 */
export async function disposeJob(ctx: EngineContext, agentType: string, jobId: string, reason: string, notFinished = false): Promise<void> {
  const r = notFinished ? await ctx.queues.removeUnfinished(agentType, jobId) : await ctx.queues.remove(agentType, jobId);
  if (r === 'locked') {
    await sendControl(ctx.redis, ctx.keys, agentType, { kind: 'cancel', jobId, reason });
    ctx.log.info({ jobId, agent: agentType, reason }, 'asked agents to abort a running job');
  }
}

/** Takes a queued job of a paused run back: its stage (or item) returns to `pending` until resume. */
export async function unqueueJob(ctx: EngineContext, runId: string, job: LiveJob, attemptsMade: number | null = null): Promise<void> {
  const { stage, dispatch, item } = job;
  await mutateRun(ctx, runId, (d, now) => (item === null ? unqueue(d, { stage, dispatch, attemptsMade }, now) : markItem(d, (x) => unqueueItem(x, { stage, dispatch, item }), now)));
}

/**
 * Pause: jobs still waiting for an agent (never started, or in a retry's backoff) are taken back
 * and their stages go back to `pending`, keeping the attempts they used (control/pause.ts); they
 * are queued anew on resume. Taking a job back is atomic with its state (lua/take-back-job.lua):
 * a job an agent holds finishes, and one that completed a moment ago keeps its result (applied
 * as any other), so a pause never makes a stage run again.
 */
export async function unqueueWaiting(ctx: EngineContext, doc: RunDoc): Promise<void> {
  for (const job of liveJobs(doc)) {
    if (job.status !== 'queued' && (job.item !== null || job.status !== 'running')) continue;
    try {
      const r = await ctx.queues.takeBack(job.agent, job.jobId);
      // Held by an agent, or finished: its result is applied as any other (its completion event,
      // the sweeper, the repair pass); the job stays until then.
      if (r.outcome === 'active' || r.outcome === 'completed' || r.outcome === 'failed') continue;
      if (r.outcome === 'missing' && job.status !== 'queued') continue;
      await unqueueJob(ctx, doc.id, job, r.outcome === 'removed' ? r.attemptsMade : null);
    } catch (e: unknown) {
      ctx.log.warn({ runId: doc.id, stage: job.stage, err: errorMessage(e) }, 'could not unqueue stage; the reconciler will retry');
    }
  }
}
