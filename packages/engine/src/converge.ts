import { jobIdFor, TERMINAL_RUN_STATUSES } from '@baton/contracts';
import type { EngineContext } from './context.js';

import { applyJob } from './job-applier.js';
import { mutateRun } from './mutate.js';
import { expireDeadline, unqueue } from './reducer.js';
import { applyEffects, dispatchStage, unqueueWaiting } from './effects.js';
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
  for (const def of doc.definition.stages) {
    const st = doc.stages[def.name]!;
    if (st.status !== 'queued' && st.status !== 'running') continue;
    const jobId = jobIdFor(doc.id, def.name, st.dispatch);
    const progress = await ctx.queues.progress(def.agent, jobId);
    if (progress === 'not-started') continue; // waiting for an agent: nothing to repair
    const state = progress === 'missing' ? 'unknown' : await ctx.queues.state(def.agent, jobId);
    if (state === 'completed' || state === 'failed' || state === 'active' || state === 'delayed') {
      if (await applyJob(ctx, def.agent, jobId)) {
        ctx.count(counterField('engine_reconciler_repairs_total', { kind: 'missed-notice' }));
        repairs++;
      }
      continue;
    }
    if (state !== 'unknown') continue; // waiting for an agent: nothing to repair
    const since = st.startedAt ?? st.queuedAt ?? doc.updatedAt;
    if (ctx.now() - since < ctx.config.repairGraceMs) continue; // may still be being enqueued
    // The job is missing. Re-read the run: if it moved on, the job was consumed and its result
    // applied between our two reads, and re-adding it would run the stage twice.
    const again = await ctx.store.load(runId);
    if (!again || again.rev !== rev) return repairs;
    if (doc.status === 'paused') {
      if (st.status === 'queued') await mutateRun(ctx, runId, (d, now) => unqueue(d, { stage: def.name, dispatch: st.dispatch }, now));
      continue;
    }
    ctx.log.warn({ runId, stage: def.name, jobId, status: st.status }, 'stage job missing; dispatching it again');
    await dispatchStage(ctx, doc, def.name);
    ctx.count(counterField('engine_reconciler_repairs_total', { kind: 'redispatch' }));
    repairs++;
  }
  if (doc.status === 'paused') await unqueueWaiting(ctx, doc);
  return repairs;
}
