import type { EngineContext } from './context.js';
import { convergeRun } from './converge.js';
import { unguarded, type PassGuard } from './lease.js';

export { Lease, LeaseLost } from './lease.js';

/** Converges every active run, a few at a time. Returns the repairs made. */
export async function reconcileActiveRuns(ctx: EngineContext, concurrency = 8, guard: PassGuard = unguarded): Promise<number> {
  const ids = await ctx.redis.zrange(ctx.keys.runsActive(), 0, -1);
  let repairs = 0;
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      await guard();
      repairs += await convergeRun(ctx, id);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
  return repairs;
}

/** Deletes finished runs beyond the retention age and count. Returns how many were deleted. */
export async function enforceRetention(ctx: EngineContext, maxPerPass = 500, guard: PassGuard = unguarded): Promise<number> {
  const k = ctx.keys.runsFinished();
  const tooOld = await ctx.redis.zrangebyscore(k, '-inf', ctx.now() - ctx.config.runRetentionMs, 'LIMIT', 0, maxPerPass);
  const total = await ctx.redis.zcard(k);
  const excess = Math.min(maxPerPass, Math.max(0, total - ctx.config.runRetentionCount));
  const tooMany = excess > 0 ? await ctx.redis.zrange(k, 0, excess - 1) : [];
  const ids = [...new Set([...tooOld, ...tooMany])];
  let deleted = 0;
  const runs = await ctx.store.loadMany(ids);
  const orphans = ids.filter((_, i) => runs[i] === null);
  for (const loaded of runs) {
    if (!loaded) continue;
    await guard();
    if (await ctx.store.delete(loaded)) deleted++;
  }
  // Index entries whose run hash is gone (cannot normally happen; cheap to tidy).
  if (orphans.length > 0) await ctx.redis.zrem(k, ...orphans);
  return deleted;
}

/**
 * Retention until it has caught up, or `budgetMs` is spent: one batch per pass would cap deletions
 * at 500 per reconcile interval (100 runs/s by default), below what a busy fleet finishes.
 */
export async function enforceRetentionFully(ctx: EngineContext, budgetMs = 2000, maxPerPass = 500, guard: PassGuard = unguarded): Promise<number> {
  const until = Date.now() + budgetMs;
  let total = 0;
  for (;;) {
    const n = await enforceRetention(ctx, maxPerPass, guard);
    total += n;
    if (n < maxPerPass || Date.now() >= until) return total;
  }
}

/** Default of EngineConfig.artifactGcGraceMs. */
export const ARTIFACT_GC_GRACE_MS = 3600 * 1000;

/**
 * Deletes artifact files that no run references any more (their runs were deleted by retention).
 * A writer stores (or touches) the bytes and then records its reference: a file touched within the
 * grace is being referenced at that moment and is kept, and looked at again by a later pass.
 */
export async function collectArtifactGarbage(ctx: EngineContext, maxPerPass = 200, guard: PassGuard = unguarded): Promise<number> {
  if (!ctx.artifacts) return 0;
  const grace = ctx.config.artifactGcGraceMs ?? ARTIFACT_GC_GRACE_MS;
  const shas = await ctx.redis.spop(ctx.keys.artifactGarbage(), maxPerPass);
  let deleted = 0;
  const touched: string[] = [];
  let i = 0;
  try {
    for (; i < shas.length; i++) {
      const sha = shas[i]!;
      // Re-referenced since (the same bytes saved by a newer run)? Then keep the file.
      if (Number((await ctx.redis.hget(ctx.keys.artifactRefs(), sha)) ?? 0) > 0) continue;
      await guard();
      if (await ctx.artifacts.removeIfUntouched(sha, grace)) deleted++;
      else touched.push(sha);
    }
  } finally {
    // Not yet decided (kept for now, or the pass stopped): a later pass looks again.
    const undecided = [...touched, ...shas.slice(i)];
    if (undecided.length > 0) await ctx.redis.sadd(ctx.keys.artifactGarbage(), ...undecided);
  }
  return deleted;
}
