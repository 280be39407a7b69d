import type { EngineContext } from './context.js';
import type { Decision } from './control/approval.js';
import { applyEffects } from './effects.js';
import { EngineError } from './engine-error.js';
import { unguarded, type PassGuard } from './lease.js';
import { mutateRun } from './mutate.js';
import { decideApproval, expireApprovals } from './reducer.js';
import type { RunDoc } from './run-doc.js';

/** Approves or rejects a waiting approval stage; the queues then follow (the next stages start). */
export async function decideRun(ctx: EngineContext, runId: string, f: Decision): Promise<RunDoc> {
  const committed = await mutateRun(ctx, runId, (d, now) => decideApproval(d, f, now));
  if (!committed) throw new EngineError('RUN_NOT_FOUND', `no run ${runId}`);
  ctx.log.info({ runId, stage: f.stage, decision: f.decision, by: f.actor?.keyId ?? null }, 'approval decided');
  await applyEffects(ctx, committed);
  return committed.next.doc;
}

/**
 * Times out approval stages past their `timeoutMs`. Called by the reconciler pass (no timer of its
 * own): a timeout fires within one reconcile interval of its due time, from whichever orchestrator
 * holds the lease, and survives any restart because the due time is derived from the run document.
 * Paused runs are not scanned; their timeouts fire once they are resumed.
 */
export async function expireDueApprovals(ctx: EngineContext, guard: PassGuard = unguarded): Promise<number> {
  const ids = await ctx.redis.zrange(ctx.keys.runsByStatus('waiting'), 0, -1);
  let expired = 0;
  for (const id of ids) {
    await guard();
    const committed = await mutateRun(ctx, id, (d, now) => expireApprovals(d, now));
    if (!committed) continue;
    expired++;
    await applyEffects(ctx, committed);
  }
  return expired;
}
