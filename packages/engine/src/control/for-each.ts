import { MAX_OUTPUT_BYTES, resolveRefs, type ForEachSpec, type ForEachView, type JsonValue, type StageError } from '@baton/contracts';
import { stageDef, stageState, type RunDoc, type StageState } from '../run-doc.js';
import type { DraftLike } from './draft.js';

/**
 * Dynamic fan-out as pure transitions. A stage with `forEach` resolves its list when it becomes
 * ready and runs one job per item (`<run>.<stage>.<dispatch>.<item>`), at most `maxParallel` at a
 * time. Its per-item state is compact: one character and one attempt count per item, plus the
 * outputs collected so far and the errors of failed items. The stage finishes when every item has
 * (fan-in): its output is the list of item outputs in order. The reducer routes item facts here and
 * settles the run afterwards.
 */

export type FanOut = NonNullable<StageState['fanOut']>;

/** Item facts carry the item's job identity. */
export interface ItemRef {
  stage: string;
  dispatch: number;
  item: number;
}

export type ItemOutcome =
  | { ok: true; output: JsonValue; agentId: string | null; attempt: number; startedAt: number | null; finishedAt: number }
  | { ok: false; error: StageError; agentId: string | null; attempt: number; startedAt: number | null; finishedAt: number };

export const forEachOf = (doc: RunDoc, stage: string): ForEachSpec | undefined => stageDef(doc, stage).forEach;

const isLiveStage = (st: StageState) => st.status === 'queued' || st.status === 'running';
const isLiveItem = (c: string | undefined) => c === 'q' || c === 'r';

function outputsOf(doc: RunDoc): Record<string, JsonValue | undefined> {
  const outputs: Record<string, JsonValue | undefined> = {};
  for (const [name, st] of Object.entries(doc.stages)) if (st.status === 'succeeded') outputs[name] = st.output ?? null;
  return outputs;
}

/** The list a fan-out stage runs over, resolved from the run document (deterministic), or why not. */
export function itemsOf(doc: RunDoc, stage: string): { items: JsonValue[] } | { error: StageError } {
  const spec = forEachOf(doc, stage)!;
  const { value, missing } = resolveRefs({ $from: spec.$from }, { input: doc.input, outputs: outputsOf(doc) });
  if (missing.length > 0) {
    return { error: { code: 'INPUT_RESOLUTION_FAILED', message: `forEach.$from "${spec.$from}" of stage "${stage}" resolved to nothing`, retryable: false, details: { missing } } };
  }
  if (!Array.isArray(value)) {
    const got = value === null ? 'null' : typeof value;
    return { error: { code: 'FOR_EACH_NOT_A_LIST', message: `forEach.$from "${spec.$from}" of stage "${stage}" is ${got}, not a list`, retryable: false } };
  }
  if (value.length > spec.maxItems) {
    return {
      error: {
        code: 'FOR_EACH_TOO_MANY_ITEMS',
        message: `forEach.$from "${spec.$from}" of stage "${stage}" has ${value.length} items; the stage allows at most ${spec.maxItems} (forEach.maxItems)`,
        retryable: false,
        details: { items: value.length, maxItems: spec.maxItems },
      },
    };
  }
  return { items: value };
}

/** A copy of a stage's fan-out state for a transition to change (the document copy shares it). */
function own(st: StageState): FanOut {
  const fo = st.fanOut!;
  const copy: FanOut = { s: fo.s, a: [...fo.a], out: fo.out ? [...fo.out] : null, err: { ...fo.err } };
  st.fanOut = copy;
  return copy;
}

const setChar = (s: string, i: number, c: string) => s.slice(0, i) + c + s.slice(i + 1);

function finishStage(d: DraftLike, stage: string, result: { ok: true; output: JsonValue } | { ok: false; error: StageError }): void {
  const st = stageState(d.doc, stage);
  st.finishedAt = d.now;
  if (result.ok) {
    st.status = 'succeeded';
    st.output = result.output;
    const durationMs = st.startedAt === null ? null : Math.max(0, d.now - st.startedAt);
    d.emit({ type: 'stage.succeeded', stage, output: result.output, durationMs });
  } else {
    st.status = 'failed';
    st.error = result.error;
    d.emit({ type: 'stage.failed', stage, error: result.error });
  }
  if (st.fanOut) st.fanOut = { ...st.fanOut, out: null };
}

/**
 * A ready fan-out stage starts: its list is resolved and the first `maxParallel` items are queued.
 * Returns true when the stage finished at once (an empty list, or a list it cannot run over).
 */
export function startFanOut(d: DraftLike, stage: string, dispatch: number): boolean {
  const spec = forEachOf(d.doc, stage)!;
  const def = stageDef(d.doc, stage);
  const resolved = itemsOf(d.doc, stage);
  d.doc.stages[stage] = { ...stageState(d.doc, stage), status: 'queued', dispatch, queuedAt: d.now, fanOut: undefined };
  d.emit({ type: 'stage.queued', stage, agent: def.agent, dispatch });
  if ('error' in resolved) {
    finishStage(d, stage, { ok: false, error: resolved.error });
    return true;
  }
  const n = resolved.items.length;
  const st = stageState(d.doc, stage);
  st.fanOut = { s: 'p'.repeat(n), a: new Array<number>(n).fill(0), out: new Array<JsonValue>(n).fill(null), err: {} };
  d.emit({ type: 'stage.items', stage, total: n, maxParallel: spec.maxParallel });
  if (n === 0) {
    st.startedAt = d.now;
    finishStage(d, stage, { ok: true, output: [] });
    return true;
  }
  fill(d, stage);
  return false;
}

/** Queues pending items while fewer than `maxParallel` are queued or running (not while paused). */
export function fill(d: DraftLike, stage: string): void {
  const st = stageState(d.doc, stage);
  if (!st.fanOut || !isLiveStage(st) || d.doc.status === 'paused') return;
  const max = forEachOf(d.doc, stage)!.maxParallel;
  let live = 0;
  for (const c of st.fanOut.s) if (isLiveItem(c)) live++;
  if (live >= max || !st.fanOut.s.includes('p')) return;
  const fo = own(st);
  let s = fo.s;
  for (let i = s.indexOf('p'); i !== -1 && live < max; i = s.indexOf('p', i + 1)) {
    s = setChar(s, i, 'q');
    live++;
  }
  fo.s = s;
}

/** The item a job-driven fact applies to, or null when the fact is stale (other dispatch, item done). */
function liveItem(doc: RunDoc, f: ItemRef): { st: StageState; c: 'q' | 'r' } | null {
  const st = doc.stages[f.stage];
  if (!st || st.dispatch !== f.dispatch || !isLiveStage(st) || !st.fanOut) return null;
  const c = st.fanOut.s[f.item];
  return c === 'q' || c === 'r' ? { st, c } : null;
}

/** Retries the attempt number proves happened although their failure was not observed (as for stages). */
function emitUnseenRetries(d: DraftLike, f: ItemRef, c: 'q' | 'r', attempts: number, attempt: number): void {
  const retriedThrough = c === 'q' ? attempts : Math.max(0, attempts - 1);
  for (let k = retriedThrough + 1; k < attempt; k++) {
    d.emit({ type: 'stage.item.retrying', stage: f.stage, item: f.item, attempt: k, error: `attempt ${k} failed and was retried before its failure was observed` });
  }
}

/** An agent took an item's job. Returns false when the fact changes nothing. */
export function itemStarted(d: DraftLike, f: ItemRef & { agentId: string | null; attempt: number; startedAt: number }): boolean {
  const cur = liveItem(d.doc, f);
  if (!cur) return false;
  const attempts = cur.st.fanOut!.a[f.item] ?? 0;
  if (cur.c === 'r' && attempts >= f.attempt) return false;
  emitUnseenRetries(d, f, cur.c, attempts, f.attempt);
  const st = stageState(d.doc, f.stage);
  const fo = own(st);
  fo.s = setChar(fo.s, f.item, 'r');
  fo.a[f.item] = Math.max(attempts, f.attempt);
  d.emit({ type: 'stage.item.started', stage: f.stage, item: f.item, agentId: f.agentId, attempt: f.attempt });
  if (st.status === 'queued') {
    st.status = 'running';
    st.startedAt = st.startedAt ?? f.startedAt;
    st.attempts = 1;
    d.emit({ type: 'stage.started', stage: f.stage, agentId: null, attempt: 1 });
  }
  return true;
}

/** An item's attempt failed and BullMQ scheduled another one. */
export function itemRetrying(d: DraftLike, f: ItemRef & { attempt: number; error: string }): boolean {
  const cur = liveItem(d.doc, f);
  if (!cur) return false;
  const attempts = cur.st.fanOut!.a[f.item] ?? 0;
  if (attempts > f.attempt || (cur.c === 'q' && attempts === f.attempt)) return false;
  emitUnseenRetries(d, f, cur.c, attempts, f.attempt);
  const fo = own(stageState(d.doc, f.stage));
  fo.s = setChar(fo.s, f.item, 'q');
  fo.a[f.item] = f.attempt;
  d.emit({ type: 'stage.item.retrying', stage: f.stage, item: f.item, attempt: f.attempt, error: f.error.slice(0, 1000) });
  return true;
}

/** Cancels the items not finished yet (the stage failed, or the run ended). */
export function cancelItems(st: StageState): void {
  if (!st.fanOut || !/[pqr]/.test(st.fanOut.s)) return;
  const fo = own(st);
  fo.s = fo.s.replace(/[pqr]/g, 'c');
}

/** An item's job finished for good. Finishes the stage when it was the last item, or it failed it. */
export function itemFinished(d: DraftLike, f: ItemRef & { outcome: ItemOutcome }): boolean {
  const cur = liveItem(d.doc, f);
  if (!cur) return false;
  let outcome = f.outcome;
  if (outcome.ok) {
    const size = Buffer.byteLength(JSON.stringify(outcome.output) ?? 'null');
    if (size > MAX_OUTPUT_BYTES) {
      outcome = { ...outcome, ok: false, error: { code: 'OUTPUT_TOO_LARGE', message: `item output is ${size} bytes; the limit is ${MAX_OUTPUT_BYTES}`, retryable: false } };
    }
  }
  const attempts = cur.st.fanOut!.a[f.item] ?? 0;
  emitUnseenRetries(d, f, cur.c, attempts, outcome.attempt);
  const st = stageState(d.doc, f.stage);
  const fo = own(st);
  if (outcome.attempt > 0) fo.a[f.item] = outcome.attempt;
  st.startedAt = st.startedAt ?? outcome.startedAt;
  if (st.status === 'queued') st.status = 'running';
  if (outcome.ok) {
    fo.s = setChar(fo.s, f.item, 's');
    fo.out![f.item] = outcome.output;
    const durationMs = outcome.startedAt === null ? null : Math.max(0, outcome.finishedAt - outcome.startedAt);
    d.emit({ type: 'stage.item.succeeded', stage: f.stage, item: f.item, durationMs });
  } else {
    fo.s = setChar(fo.s, f.item, 'f');
    fo.err[String(f.item)] = outcome.error;
    d.emit({ type: 'stage.item.failed', stage: f.stage, item: f.item, error: outcome.error });
    if (forEachOf(d.doc, f.stage)!.onItemFailure === 'fail-run') {
      cancelItems(st);
      const e = outcome.error;
      finishStage(d, f.stage, { ok: false, error: { code: e.code, message: `item ${f.item} failed: ${e.message}`.slice(0, 4096), retryable: false, details: { ...e.details, item: f.item } } });
      return true;
    }
  }
  if (/[pqr]/.test(fo.s)) {
    fill(d, f.stage);
    return true;
  }
  const output = fo.out!;
  const size = Buffer.byteLength(JSON.stringify(output));
  if (size > MAX_OUTPUT_BYTES) {
    finishStage(d, f.stage, { ok: false, error: { code: 'OUTPUT_TOO_LARGE', message: `the list of item outputs is ${size} bytes; the limit is ${MAX_OUTPUT_BYTES}`, retryable: false } });
  } else {
    finishStage(d, f.stage, { ok: true, output });
  }
  return true;
}

/** A queued item's job was taken off its queue because the run is paused; it is queued anew on resume. */
export function unqueueItem(d: DraftLike, f: ItemRef): boolean {
  const cur = liveItem(d.doc, f);
  if (!cur || cur.c !== 'q' || d.doc.status !== 'paused') return false;
  const fo = own(stageState(d.doc, f.stage));
  fo.s = setChar(fo.s, f.item, 'p');
  return true;
}

/** The run view of a fan-out stage's items. */
export function forEachView(doc: RunDoc, stage: string): ForEachView | undefined {
  const st = doc.stages[stage];
  const spec = forEachOf(doc, stage);
  if (!st?.fanOut || !spec) return undefined;
  const counts = { pending: 0, queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
  const names = { p: 'pending', q: 'queued', r: 'running', s: 'succeeded', f: 'failed', c: 'cancelled' } as const;
  for (const c of st.fanOut.s) counts[names[c as keyof typeof names]]++;
  const failures = Object.entries(st.fanOut.err)
    .map(([i, e]) => ({ item: Number(i), code: e.code, message: e.message }))
    .sort((a, b) => a.item - b.item);
  return { total: st.fanOut.s.length, maxParallel: spec.maxParallel, counts, states: st.fanOut.s, failures };
}
