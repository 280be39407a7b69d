import { createHash } from 'node:crypto';
import { BULK_DRY_RUN_IDS, TERMINAL_RUN_STATUSES, type BulkRunRequest, type BulkRunResponse, type BulkRunResult, type RunFilter } from '@baton/contracts';
import { errorMessage } from '@baton/platform';
import { canonicalJson } from './canonical-json.js';
import type { EngineContext } from './context.js';
import { applyEffects } from './effects.js';
import { EngineError } from './engine-error.js';
import { mutateRun } from './mutate.js';
import { cancel, retry, type Transition } from './reducer.js';
import type { RunDoc } from './run-doc.js';
import { findRuns, isEmptyFilter } from './run-finder.js';

/**
 * Bulk cancel / retry of the runs a filter matches (the filters of GET /v1/runs).
 *
 * Exactly once under a crash: with an Idempotency-Key, each run is first *claimed* in the
 * operation's hash (run id -> the run's `updatedAt` when claimed), then changed by a transition
 * guarded on that same `updatedAt`. A finished run changes only by a command, so on a repeated call
 * a claimed run whose `updatedAt` moved on was already retried (ALREADY_DONE), and one whose
 * `updatedAt` is unchanged was claimed but not yet retried (the process died in between): it is
 * retried now. Without a key a repeated call simply acts on whatever matches again.
 */

export type BulkAction = 'cancel' | 'retry';

/** A dry run counts at most this many matching runs. */
export const BULK_COUNT_CAP = 10_000;
const CONCURRENCY = 4;
const REQUEST_FIELD = '__request';

export interface BulkOptions {
  /** The caller's Idempotency-Key (scoped by `scope`, e.g. the API key id). */
  idempotencyKey?: string;
  scope?: string | null;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function transitionFor(action: BulkAction, req: BulkRunRequest): (doc: RunDoc, now: number) => Transition {
  switch (action) {
    case 'cancel':
      return (d, now) => cancel(d, req.reason ?? null, now);
    case 'retry':
      return (d, now) => retry(d, undefined, now);
  }
}

/** Matching run ids, newest first, at most `max`; `capped` when more exist. */
async function matchingIds(ctx: EngineContext, filter: RunFilter, max: number): Promise<{ ids: string[]; capped: boolean }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await findRuns(ctx, { ...filter, limit: 200, ...(cursor ? { cursor } : {}) });
    for (const doc of page.items) {
      if (ids.length === max) return { ids, capped: true };
      ids.push(doc.id);
    }
    if (page.nextCursor === null) return { ids, capped: false };
    cursor = page.nextCursor;
  }
}

/** The runs a request names (its `runIds`, each once) or matches (its filter), at most `max`. */
async function selectedIds(ctx: EngineContext, req: BulkRunRequest, max: number): Promise<{ ids: string[]; capped: boolean }> {
  if (req.runIds === undefined) return matchingIds(ctx, req.filter, max);
  const ids = [...new Set(req.runIds)];
  return { ids: ids.slice(0, max), capped: ids.length > max };
}

export async function bulkRuns(ctx: EngineContext, action: BulkAction, req: BulkRunRequest, opts: BulkOptions = {}): Promise<BulkRunResponse> {
  if (req.runIds !== undefined && !isEmptyFilter(req.filter)) {
    throw new EngineError('INVALID_REQUEST', 'a bulk action takes a filter or a list of run ids, not both', [{ path: ['runIds'], message: 'give either filter or runIds' }]);
  }
  if (req.runIds === undefined && isEmptyFilter(req.filter)) {
    throw new EngineError('INVALID_REQUEST', 'a bulk action needs a filter; an empty filter would match every run', [
      { path: ['filter'], message: 'give at least one of status, pipeline, label, createdBy, createdAfter, createdBefore' },
    ]);
  }
  const base = { action, dryRun: req.dryRun, ids: [] as string[], results: [] as BulkRunResult[], done: 0, skipped: 0 };
  if (req.dryRun) {
    const { ids, capped } = await selectedIds(ctx, req, BULK_COUNT_CAP);
    return { ...base, matched: ids.length, matchedCapped: capped, ids: ids.slice(0, BULK_DRY_RUN_IDS), more: ids.length > req.limit };
  }
  const { ids, capped } = await selectedIds(ctx, req, req.limit);
  const op = opts.idempotencyKey ? await openOperation(ctx, action, req, opts.idempotencyKey, opts.scope ?? null) : null;
  const fn = transitionFor(action, req);
  const results: BulkRunResult[] = new Array(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      results[i] = await actOn(ctx, action, ids[i]!, fn, op);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ids.length) }, worker));
  const done = results.filter((r) => r.outcome === 'done').length;
  ctx.log.info({ action, matched: ids.length, done, skipped: ids.length - done, more: capped }, 'bulk action applied');
  return { ...base, matched: ids.length, matchedCapped: capped, results, done, skipped: ids.length - done, more: capped };
}

async function openOperation(ctx: EngineContext, action: BulkAction, req: BulkRunRequest, key: string, scope: string | null): Promise<string> {
  const opKey = ctx.keys.bulkOperation(sha256(`${scope ?? ''}\n${action}\n${key}`));
  const fingerprint = sha256(canonicalJson({ filter: req.filter, ...(req.runIds ? { runIds: req.runIds } : {}), limit: req.limit, reason: req.reason ?? null }));
  const ttlMs = ctx.config.idempotencyTtlMs;
  const set = await ctx.redis.hsetnx(opKey, REQUEST_FIELD, fingerprint);
  await ctx.redis.pexpire(opKey, ttlMs);
  if (set === 0 && (await ctx.redis.hget(opKey, REQUEST_FIELD)) !== fingerprint) {
    throw new EngineError('IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was already used for a bulk action with a different filter');
  }
  return opKey;
}

const skipped = (runId: string, reason: string, message: string | null): BulkRunResult => ({ runId, outcome: 'skipped', reason, message });

async function actOn(ctx: EngineContext, action: BulkAction, runId: string, fn: (doc: RunDoc, now: number) => Transition, op: string | null): Promise<BulkRunResult> {
  try {
    const loaded = await ctx.store.load(runId);
    if (!loaded) return skipped(runId, 'RUN_NOT_FOUND', 'the run was deleted');
    let claimed: string | null = null;
    if (op !== null) {
      claimed = await ctx.redis.hget(op, runId);
      if (claimed !== null && alreadyDone(action, loaded.doc, claimed)) return skipped(runId, 'ALREADY_DONE', `an earlier call with this Idempotency-Key already ran ${action} on it`);
    }
    fn(loaded.doc, ctx.now()); // throws INVALID_STATE (and so on) before anything is claimed
    if (op !== null && claimed === null) {
      claimed = String(loaded.doc.updatedAt);
      if ((await ctx.redis.hsetnx(op, runId, claimed)) === 0) return actOn(ctx, action, runId, fn, op); // a concurrent call claimed it
    }
    let moved = false;
    const committed = await mutateRun(
      ctx,
      runId,
      (d, now) => {
        // Retry: a finished run that changed since it was claimed was already retried by this operation.
        if (action === 'retry' && claimed !== null && String(d.updatedAt) !== claimed) {
          moved = true;
          return null;
        }
        return fn(d, now);
      },
      loaded,
    );
    if (!committed) return moved ? skipped(runId, 'ALREADY_DONE', `an earlier call with this Idempotency-Key already ran ${action} on it`) : skipped(runId, 'RUN_NOT_FOUND', 'the run was deleted');
    await applyEffects(ctx, committed);
    return { runId, outcome: 'done', reason: null, message: null };
  } catch (e: unknown) {
    if (e instanceof EngineError) return skipped(runId, e.code, e.message);
    ctx.log.warn({ runId, action, err: errorMessage(e) }, 'bulk action on a run failed');
    return skipped(runId, 'INTERNAL', errorMessage(e));
  }
}

/** A claimed run on a repeated call: was the action already applied? */
function alreadyDone(action: BulkAction, doc: RunDoc, claimedUpdatedAt: string): boolean {
  if (action === 'retry') return String(doc.updatedAt) !== claimedUpdatedAt;
  // Cancel: a claimed run that is finished now was cancelled (or finished) after the claim.
  return TERMINAL_RUN_STATUSES.has(doc.status);
}
