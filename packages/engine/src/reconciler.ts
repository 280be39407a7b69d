import { randomUUID } from 'node:crypto';
import type { EngineContext } from './context.js';
import { convergeRun } from './converge.js';

/** Cross-instance lease so one orchestrator at a time runs the (heavier) full reconcile pass. */
export class Lease {
  private readonly token = randomUUID();
  constructor(
    private readonly ctx: EngineContext,
    private readonly name: string,
    private readonly ttlMs: number,
  ) {}

  /** Takes or renews the lease. */
  async acquire(): Promise<boolean> {
    const key = this.ctx.keys.lease(this.name);
    const got = await this.ctx.redis.set(key, this.token, 'PX', this.ttlMs, 'NX');
    if (got === 'OK') return true;
    if ((await this.ctx.redis.get(key)) !== this.token) return false;
    await this.ctx.redis.pexpire(key, this.ttlMs);
    return true;
  }
}

/** Converges every active run, a few at a time. Returns the repairs made. */
export async function reconcileActiveRuns(ctx: EngineContext, concurrency = 8): Promise<number> {
  const ids = await ctx.redis.zrange(ctx.keys.runsActive(), 0, -1);
  let repairs = 0;
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      repairs += await convergeRun(ctx, id);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
  return repairs;
}

/** Deletes finished runs beyond the retention age and count. Returns how many were deleted. */
export async function enforceRetention(ctx: EngineContext, maxPerPass = 500): Promise<number> {
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
    if (loaded && (await ctx.store.delete(loaded))) deleted++;
  }
  // Index entries whose run hash is gone (cannot normally happen; cheap to tidy).
  if (orphans.length > 0) await ctx.redis.zrem(k, ...orphans);
  return deleted;
}

/**
 * Retention until it has caught up, or `budgetMs` is spent: one batch per pass would cap deletions
 * at 500 per reconcile interval (100 runs/s by default), below what a busy fleet finishes.
 */
export async function enforceRetentionFully(ctx: EngineContext, budgetMs = 2000, maxPerPass = 500): Promise<number> {
  const until = Date.now() + budgetMs;
  let total = 0;
  for (;;) {
    const n = await enforceRetention(ctx, maxPerPass);
    total += n;
    if (n < maxPerPass || Date.now() >= until) return total;
  }
}

/** Deletes artifact files that no run references any more (their runs were deleted by retention). */
export async function collectArtifactGarbage(ctx: EngineContext, maxPerPass = 200): Promise<number> {
  if (!ctx.artifacts) return 0;
  const shas = await ctx.redis.spop(ctx.keys.artifactGarbage(), maxPerPass);
  let deleted = 0;
  for (const sha of shas) {
    // Re-referenced since (the same bytes saved by a newer run)? Then keep the file.
    if (Number((await ctx.redis.hget(ctx.keys.artifactRefs(), sha)) ?? 0) > 0) continue;
    await ctx.artifacts.remove(sha);
    deleted++;
  }
  return deleted;
}
