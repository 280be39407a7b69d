import { RunId, type Keys, type RunFilter, type RunListQuery } from '@baton/contracts';
import type { EngineContext } from './context.js';
import { EngineError } from './engine-error.js';
import { ulid } from './ids.js';
import type { RunDoc } from './run-doc.js';

/**
 * Finding runs. Every run index is a sorted set of run ids with score 0, read by lex range: run ids
 * are ULIDs, so they sort by creation time and a created-at range is a lex range of ids. A page is
 * read newest first from the smallest index that applies and the other filters are checked on the
 * documents; the cursor is the last id looked at, so runs created while someone pages (newer ids)
 * never shift a page.
 */

/** The indexes a run joins when it is created (besides created/status), and leaves when it is deleted. */
export function staticIndexKeys(k: Keys, doc: Pick<RunDoc, 'labels' | 'createdBy' | 'pipeline'>): string[] {
  const out = Object.entries(doc.labels).map(([key, value]) => k.runsByLabel(key, value));
  if (doc.createdBy !== null) out.push(k.runsByCreator(doc.createdBy));
  if (doc.pipeline.version !== null) out.push(k.runsByPipelineVersion(doc.pipeline.name, doc.pipeline.version));
  return out;
}

/** Cursor = the last run id of the previous page. */
export function decodeCursor(cursor: string | undefined): string | null {
  if (cursor === undefined) return null;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!RunId.safeParse(id).success) {
    throw new EngineError('INVALID_REQUEST', 'invalid cursor', [{ path: ['cursor'], message: 'not a cursor returned by this API' }]);
  }
  return id;
}

export const encodeCursor = (runId: string) => Buffer.from(runId, 'utf8').toString('base64url');

export function labelFilters(f: RunFilter): [string, string][] {
  const raw = f.label === undefined ? [] : Array.isArray(f.label) ? f.label : [f.label];
  return raw.map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i), l.slice(i + 1)];
  });
}

/** The lowest run id created at or after `ms` (a lex bound). */
const idAt = (ms: number) => `run_${ulid(ms).slice(0, 10)}`;

/** True when a filter names nothing (the bulk actions refuse it). */
export function isEmptyFilter(f: RunFilter): boolean {
  return Object.values(f).every((v) => v === undefined || (Array.isArray(v) && v.length === 0));
}

function matches(doc: RunDoc, f: RunFilter, labels: [string, string][]): boolean {
  if (f.status !== undefined && doc.status !== f.status) return false;
  if (f.pipeline !== undefined && doc.pipeline.name !== f.pipeline) return false;
  if (f.pipelineVersion !== undefined && doc.pipeline.version !== f.pipelineVersion) return false;
  if (f.createdBy !== undefined && doc.createdBy !== f.createdBy) return false;
  return labels.every(([key, value]) => doc.labels[key] === value);
}

/** The candidate indexes for a filter; the caller reads the smallest. */
function candidateIndexes(k: Keys, f: RunFilter, labels: [string, string][]): string[] {
  const out = labels.map(([key, value]) => k.runsByLabel(key, value));
  if (f.createdBy !== undefined) out.push(k.runsByCreator(f.createdBy));
  if (f.pipeline !== undefined && f.pipelineVersion !== undefined) out.push(k.runsByPipelineVersion(f.pipeline, f.pipelineVersion));
  if (f.status !== undefined) out.push(k.runsByStatus(f.status));
  if (f.pipeline !== undefined) out.push(k.runsByPipeline(f.pipeline));
  if (out.length === 0) out.push(k.runsByCreated());
  return out;
}

async function smallest(ctx: EngineContext, indexes: string[]): Promise<string> {
  if (indexes.length === 1) return indexes[0]!;
  const pipe = ctx.redis.pipeline();
  for (const i of indexes) pipe.zcard(i);
  const sizes = ((await pipe.exec()) ?? []).map(([, n]) => Number(n));
  let best = 0;
  for (let i = 1; i < indexes.length; i++) if (sizes[i]! < sizes[best]!) best = i;
  return indexes[best]!;
}

export interface RunPage {
  items: RunDoc[];
  nextCursor: string | null;
}

/** Newest-first page of the runs matching every filter of `q`. */
export async function findRuns(ctx: EngineContext, q: RunListQuery): Promise<RunPage> {
  const labels = labelFilters(q);
  const index = await smallest(ctx, candidateIndexes(ctx.keys, q, labels));
  const min = q.createdAfter !== undefined ? `[${idAt(Date.parse(q.createdAfter))}` : '-';
  const before = q.createdBefore !== undefined ? idAt(Date.parse(q.createdBefore)) : null;
  let after = decodeCursor(q.cursor);
  // The exclusive upper bound: the cursor or the end of the range, whichever is lower.
  let upper = after !== null && (before === null || after < before) ? after : before;
  const items: RunDoc[] = [];
  const maxScan = q.limit * 20;
  let scanned = 0;
  let exhausted = false;
  while (items.length < q.limit && scanned < maxScan) {
    const batch = await ctx.redis.zrange(index, upper !== null ? `(${upper}` : '+', min, 'BYLEX', 'REV', 'LIMIT', 0, q.limit);
    if (batch.length === 0) {
      exhausted = true;
      break;
    }
    const runs = await ctx.store.loadMany(batch);
    for (let i = 0; i < batch.length && items.length < q.limit; i++) {
      after = upper = batch[i]!;
      scanned++;
      const doc = runs[i]?.doc;
      if (doc && matches(doc, q, labels)) items.push(doc);
    }
    if (batch.length < q.limit && items.length < q.limit) {
      exhausted = true;
      break;
    }
  }
  if (!exhausted && upper !== null) {
    const more = await ctx.redis.zrange(index, `(${upper}`, min, 'BYLEX', 'REV', 'LIMIT', 0, 1);
    if (more.length === 0) exhausted = true;
  }
  return { items, nextCursor: exhausted || after === null ? null : encodeCursor(after) };
}
