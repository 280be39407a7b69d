import { jobIdFor } from '@baton/contracts';
import { errorMessage } from '@baton/platform';
import type { EngineContext } from './context.js';
import { sendControl } from './control.js';
import { buildEnvelope } from './envelope.js';
import { recordResolvedInput } from './resolved-inputs.js';
import { mutateRun, type Committed } from './mutate.js';
import { markFinished, unqueue } from './reducer.js';
import { stageDef, type RunDoc } from './run-doc.js';

const live = (s: string) => s === 'queued' || s === 'running';

/**
 * Makes the queues follow a committed transition: adds jobs for newly queued stages, removes (or
 * cancels, when an agent holds them) jobs of stages that are no longer live, and takes queued jobs
 * off the queue when the run is paused. Failures are logged, not thrown: the state is already
 * committed, and the reconciler repairs whatever this could not do.
 */
export async function applyEffects(ctx: EngineContext, c: Committed): Promise<void> {
  const prev = c.prev.doc;
  const next = c.next.doc;
  const work: Promise<void>[] = [];
  const attempt = (stage: string, fn: () => Promise<void>) =>
    work.push(fn().catch((e: unknown) => ctx.log.warn({ runId: next.id, stage, err: errorMessage(e) }, 'stage effect failed; the reconciler will retry')));
  // All at once (one write on the auto-pipelined connection); new jobs are issued first, so the next
  // stage's agent can start while the finished job is being removed.
  for (const def of next.definition.stages) {
    const a = prev.stages[def.name]!;
    const b = next.stages[def.name]!;
    if (b.status !== 'queued' || b.dispatch === a.dispatch) continue;
    attempt(def.name, () => dispatchStage(ctx, next, def.name));
  }
  for (const def of next.definition.stages) {
    const a = prev.stages[def.name]!;
    const b = next.stages[def.name]!;
    if (!live(a.status) || (live(b.status) && b.dispatch === a.dispatch)) continue;
    attempt(def.name, () => disposeJob(ctx, def.agent, jobIdFor(next.id, def.name, a.dispatch), `stage is ${b.status}`));
  }
  await Promise.all(work);
  // A paused run starts no new attempt: take back what waits for an agent now, whether the pause
  // itself was just committed or a retry was (a stage in a retry's backoff), not on a later repair pass.
  if (next.status === 'paused' && (prev.status !== 'paused' || becameQueued(prev, next))) await unqueueWaiting(ctx, next);
}

const becameQueued = (prev: RunDoc, next: RunDoc) =>
  Object.entries(next.stages).some(([name, b]) => b.status === 'queued' && (prev.stages[name]?.status !== 'queued' || prev.stages[name]?.attempts !== b.attempts));

/** Puts a queued stage's job on its agent queue (or fails the stage if its input cannot be resolved). */
export async function dispatchStage(ctx: EngineContext, doc: RunDoc, stage: string): Promise<void> {
  const st = doc.stages[stage]!;
  const built = buildEnvelope(doc, stage, ctx.config.maxStageInputBytes);
  if ('error' in built) {
    const now = ctx.now();
    const outcome = { ok: false as const, error: built.error, agentId: null, attempt: 0, startedAt: null, finishedAt: now };
    const committed = await mutateRun(ctx, doc.id, (d, t) => markFinished(d, { stage, dispatch: st.dispatch, outcome }, t));
    if (committed) await applyEffects(ctx, committed);
    return;
  }
  const jobId = jobIdFor(doc.id, stage, st.dispatch);
  recordResolvedInput(ctx, doc.id, stage, st.dispatch, built.envelope.input);
  await ctx.queues.add(built.envelope, jobId, stageDef(doc, stage), st.attemptBase ?? 0);
  ctx.log.debug({ runId: doc.id, stage, jobId }, 'stage dispatched');
}

/** Removes a job that is no longer wanted; asks the agent holding it to abort when it is running. */
export async function disposeJob(ctx: EngineContext, agentType: string, jobId: string, reason: string): Promise<void> {
  const r = await ctx.queues.remove(agentType, jobId);
  if (r === 'locked') {
    await sendControl(ctx.redis, ctx.keys, agentType, { kind: 'cancel', jobId, reason });
    ctx.log.info({ jobId, agent: agentType, reason }, 'asked agents to abort a running job');
  }
}

/**
 * Pause: jobs still waiting for an agent (never started, or in a retry's backoff) are taken back
 * and their stages go back to `pending`, keeping the attempts they used (control/pause.ts); they
 * are queued anew on resume. Taking a job back is atomic with its state (lua/take-back-job.lua):
 * a job an agent holds finishes, and one that completed a moment ago keeps its result (applied
 * as any other), so a pause never makes a stage run again.
 */
export async function unqueueWaiting(ctx: EngineContext, doc: RunDoc): Promise<void> {
  for (const def of doc.definition.stages) {
    const st = doc.stages[def.name]!;
    if (st.status !== 'queued' && st.status !== 'running') continue;
    const jobId = jobIdFor(doc.id, def.name, st.dispatch);
    try {
      const r = await ctx.queues.takeBack(def.agent, jobId);
      // Held by an agent, or finished: its result is applied as any other (its completion event,
      // the sweeper, the repair pass); the job stays until then.
      if (r.outcome === 'active' || r.outcome === 'completed' || r.outcome === 'failed') continue;
      if (r.outcome === 'missing' && st.status !== 'queued') continue;
      const attemptsMade = r.outcome === 'removed' ? r.attemptsMade : null;
      await mutateRun(ctx, doc.id, (d, now) => unqueue(d, { stage: def.name, dispatch: st.dispatch, attemptsMade }, now));
    } catch (e: unknown) {
      ctx.log.warn({ runId: doc.id, stage: def.name, err: errorMessage(e) }, 'could not unqueue stage; the reconciler will retry');
    }
  }
}
