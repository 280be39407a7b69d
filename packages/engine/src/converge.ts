import { TERMINAL_RUN_STATUSES } from '@baton/contracts';
import type { EngineContext } from './context.js';
import { applyEffects, dispatchJob, unqueueJob, unqueueWaiting } from './effects.js';
import { applyJob } from './job-applier.js';
import { liveJobs } from './jobs.js';
import { mutateRun } from './mutate.js';
import { expireDeadline } from './reducer.js';
import { retryWaitingSlots } from './slots.js';
import { deadlinePassed } from './control/deadline.js';
import { counterField } from './store/counters.js';

/**
 * Level-triggered repair of one run: compares every live stage with its job and fixes what a crash
 * (of an orchestrator between commit and enqueue, of Redis losing the last writes, of a missed
 * notification) left inconsistent. Idempotent and safe to run from several orchestrators at once.
 * Returns the number of repairs made.
 */
export async function convergeRun(ctx: EngineContext, runId: string): Promise<number> {
  const loaded = await ctx.store.load(runId);
  if (!loaded || TERMINAL_RUN_STATUSES.has(loaded.doc.status)) return 0;
  const { doc, rev } = loaded;
  if (deadlinePassed(doc, ctx.now())) {
    // The run missed its deadline (control/deadline.ts): fail it; the effects abort its live jobs.
    const committed = await mutateRun(ctx, runId, (d, now) => expireDeadline(d, now), loaded);
    if (committed) await applyEffects(ctx, committed);
    return committed ? 1 : 0;
  }
  let repairs = 0;
  if (doc.slots && (await retryWaitingSlots(ctx, doc)) > 0) {
    ctx.count(counterField('engine_reconciler_repairs_total', { kind: 'slot-grant' }));
    return 1; // the run moved on; the next pass looks at its jobs
  }
  for (const job of liveJobs(doc)) {
    const { jobId, agent } = job;
    const st = doc.stages[job.stage]!;
    const progress = await ctx.queues.progress(agent, jobId);
    if (progress === 'not-started') continue; // waiting for an agent: nothing to repair
    const state = progress === 'missing' ? 'unknown' : await ctx.queues.state(agent, jobId);
    if (state === 'completed' || state === 'failed' || state === 'active' || state === 'delayed') {
      if (await applyJob(ctx, agent, jobId)) {
        ctx.count(counterField('engine_reconciler_repairs_total', { kind: 'missed-notice' }));
        repairs++;
      }
      continue;
    }
    if (state !== 'unknown') continue; // waiting for an agent: nothing to repair
    // An item is queued by a later commit than its stage: the document's last change bounds its age.
    const since = job.item === null ? (st.startedAt ?? st.queuedAt ?? doc.updatedAt) : doc.updatedAt;
    if (ctx.now() - since < ctx.config.repairGraceMs) continue; // may still be being enqueued
    // The job is missing. Re-read the run: if it moved on, the job was consumed and its result
    // applied between our two reads, and re-adding it would run the stage twice.
    const again = await ctx.store.load(runId);
    if (!again || again.rev !== rev) return repairs;
    if (doc.status === 'paused') {
      if (job.status === 'queued') await unqueueJob(ctx, runId, job);
      continue;
    }
    ctx.log.warn({ runId, stage: job.stage, item: job.item, jobId, status: job.status }, 'stage job missing; dispatching it again');
    await dispatchJob(ctx, doc, job);
    ctx.count(counterField('engine_reconciler_repairs_total', { kind: 'redispatch' }));
    repairs++;
  }
  if (doc.status === 'paused') await unqueueWaiting(ctx, doc);
  return repairs;
}
