import { errorMessage } from '@baton/platform';
import type { EngineContext } from './context.js';
import { parseSlotMember, specOf, waitingScopes } from './control/concurrency.js';
import { applyEffects } from './effects.js';
import { mutateRun } from './mutate.js';
import { cancel, grantSlot, noteSlotHolder } from './reducer.js';
import type { RunDoc } from './run-doc.js';
import { callScript } from './store/scripts.js';

/**
 * Concurrency slots, the side that talks to Redis (the transitions are in control/concurrency.ts).
 * A slot is asked for when its stage becomes ready (the commit's effects call tryGrant), and again
 * for the next waiters whenever a commit releases one (wake). A refused grant writes nothing; the
 * key's onConflict then decides. Lost wake-ups (an orchestrator killed between a commit and its
 * effects) are repaired by the reconciler, which retries the grants of waiting runs and releases
 * slots whose holder no longer has them (repairSlots).
 */

export type GrantResult = 'granted' | 'busy' | 'none';

/** Tries to take the slot of `scope` for a run waiting for it. */
export async function tryGrant(ctx: EngineContext, runId: string, scope: string): Promise<GrantResult> {
  for (let i = 0; i < 20; i++) {
    const prev = await ctx.store.load(runId);
    if (!prev) return 'none';
    const t = grantSlot(prev.doc, scope, ctx.now());
    if (!t) return 'none';
    const r = await ctx.store.commit(prev, t);
    if (r.ok) {
      ctx.log.info({ runId, scope, key: t.doc.slots?.[scope]?.key }, 'concurrency slot taken');
      await applyEffects(ctx, { prev, next: { doc: t.doc, rev: r.rev }, transition: t });
      return 'granted';
    }
    if (r.reason === 'missing') return 'none';
    if (r.reason === 'slot-busy') {
      await onBusy(ctx, prev.doc, scope);
      return 'busy';
    }
  }
  return 'none';
}

/** A grant was refused: queue (note the holder), cancel the older holders, or cancel this run. */
async function onBusy(ctx: EngineContext, doc: RunDoc, scope: string): Promise<void> {
  const slot = doc.slots![scope]!;
  const spec = specOf(doc, scope)!;
  const holders = await ctx.redis.zrange(ctx.keys.concurrencyHolders(slot.key), 0, -1);
  const holderRuns = holders.map((m) => parseSlotMember(m)?.runId).filter((id): id is string => id !== undefined && id !== doc.id);
  const cancelRun = async (runId: string, reason: string) => {
    try {
      const c = await mutateRun(ctx, runId, (d, now) => cancel(d, reason, now));
      if (c) await applyEffects(ctx, c);
      ctx.log.info({ runId, key: slot.key, reason }, 'run cancelled by a concurrency key');
    } catch (e: unknown) {
      ctx.log.debug({ runId, err: errorMessage(e) }, 'run not cancelled (already finished?)');
    }
  };
  if (spec.onConflict === 'cancel-newest') {
    await cancelRun(doc.id, `concurrency key "${slot.key}" is held by run ${holderRuns[0] ?? '(unknown)'} (onConflict: cancel-newest)`);
    return;
  }
  await mutateRun(ctx, doc.id, (d, now) => noteSlotHolder(d, scope, holders[0] ?? null, now));
  if (spec.onConflict === 'cancel-running') {
    const loaded = await ctx.store.loadMany(holderRuns);
    for (const h of loaded) {
      // Only older runs are superseded: a newer holder supersedes this one instead (it waits).
      if (h && h.doc.createdAt <= doc.createdAt) await cancelRun(h.doc.id, `superseded by run ${doc.id} (concurrency key "${slot.key}", onConflict: cancel-running)`);
    }
  }
}

/** A slot of `key` was released: offers it to the runs waiting for it, oldest first, until one is refused. */
export async function wake(ctx: EngineContext, key: string): Promise<void> {
  const waiters = await ctx.redis.zrange(ctx.keys.concurrencyWaiters(key), 0, 49);
  for (const member of waiters) {
    const m = parseSlotMember(member);
    if (!m) continue;
    if ((await tryGrant(ctx, m.runId, m.scope)) === 'busy') return;
  }
}

/** The slot effects of a committed transition: ask for new waiting slots, wake the waiters of released keys. */
export async function slotEffects(ctx: EngineContext, prev: RunDoc, next: RunDoc): Promise<void> {
  const a = prev.slots ?? {};
  const b = next.slots ?? {};
  const released = Object.entries(a).filter(([scope, s]) => s.status === 'held' && b[scope]?.status !== 'held').map(([, s]) => s.key);
  const asked = Object.entries(b).filter(([scope, s]) => s.status === 'waiting' && !a[scope]).map(([scope]) => scope);
  if (released.length === 0 && asked.length === 0) return;
  try {
    for (const key of new Set(released)) await wake(ctx, key);
    for (const scope of asked) await tryGrant(ctx, next.id, scope);
  } catch (e: unknown) {
    ctx.log.warn({ runId: next.id, err: errorMessage(e) }, 'concurrency slot effect failed; the reconciler will retry');
  }
}

/** Reconciler: a waiting run asks for its slots again (repairs a wake-up lost in a crash). */
export async function retryWaitingSlots(ctx: EngineContext, doc: RunDoc): Promise<number> {
  let granted = 0;
  for (const scope of waitingScopes(doc)) if ((await tryGrant(ctx, doc.id, scope)) === 'granted') granted++;
  return granted;
}

/**
 * Reconciler: releases holders (and waiters) whose run no longer has that slot (the run was deleted,
 * or Redis lost the commit that released it), checked against the run's revision in the script, and
 * wakes the key's waiters. Returns how many were released.
 */
export async function repairSlots(ctx: EngineContext, maxKeys = 500): Promise<number> {
  const k = ctx.keys;
  const keys = await ctx.redis.zrange(k.concurrencyKeys(), 0, maxKeys - 1);
  let released = 0;
  for (const key of keys) {
    const [holders, waiters] = await Promise.all([ctx.redis.zrange(k.concurrencyHolders(key), 0, -1), ctx.redis.zrange(k.concurrencyWaiters(key), 0, -1)]);
    const script = (runHash: string, member: string, rev: string, set: 'held' | 'waiting' | '') =>
      callScript(ctx.redis, 'batonReleaseStaleSlot', [runHash, k.concurrencyHolders(key), k.concurrencyWaiters(key), k.concurrencyKeys()], [member, rev, key, set]) as Promise<[number, number]>;
    let freed = false;
    for (const [member, wanted] of [...holders.map((m) => [m, 'held'] as const), ...waiters.map((m) => [m, 'waiting'] as const)]) {
      const m = parseSlotMember(member);
      if (!m) continue;
      const run = await ctx.store.load(m.runId);
      const slot = run?.doc.slots?.[m.scope];
      if (slot && slot.key === key && slot.status === wanted) continue;
      const [h, w] = await script(k.run(m.runId), member, run ? String(run.rev) : '', wanted);
      if (h + w > 0) {
        released++;
        ctx.log.warn({ runId: m.runId, scope: m.scope, key, was: wanted }, 'released a concurrency slot its run no longer has');
      }
      freed ||= h > 0;
    }
    if (holders.length === 0 && waiters.length === 0) await script(k.run(''), '', '', '');
    if (freed) await wake(ctx, key);
  }
  return released;
}
