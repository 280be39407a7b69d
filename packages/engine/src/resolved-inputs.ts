import type { JsonValue } from '@baton/contracts';
import { errorMessage, RedisBatcher, type RedisClient } from '@baton/platform';
import type { EngineContext } from './context.js';
import type { RunDoc } from './run-doc.js';

/**
 * The input each dispatch of a stage actually received (its `$from` references resolved), kept
 * beside the run document in one hash per run (`Keys.runInputs`, field `<stage>#<dispatch>`) and
 * deleted with it. Attempts within a dispatch share one task, so one record covers them. Values
 * under secret-looking keys are replaced, and a large input is cut to a preview.
 */

/** Bytes of JSON kept per resolved input; above, a preview of the first RESOLVED_INPUT_PREVIEW bytes. */
export const RESOLVED_INPUT_MAX_BYTES = 16 * 1024;
const RESOLVED_INPUT_PREVIEW = 2048;
const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|credential|authorization|private[-_]?key/i;
export const REDACTED = '[redacted]';

export interface ResolvedInput {
  dispatch: number;
  input: JsonValue;
  truncated: boolean;
}

/** A copy with the value of every secret-looking key replaced. */
export function redactSecrets(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(redactSecrets);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEY.test(k) ? REDACTED : redactSecrets(x);
    return out;
  }
  return v;
}

export function capResolvedInput(dispatch: number, input: JsonValue): ResolvedInput {
  const redacted = redactSecrets(input);
  const json = JSON.stringify(redacted);
  if (Buffer.byteLength(json) <= RESOLVED_INPUT_MAX_BYTES) return { dispatch, input: redacted, truncated: false };
  return { dispatch, input: { preview: Buffer.from(json).subarray(0, RESOLVED_INPUT_PREVIEW).toString('utf8'), bytes: Buffer.byteLength(json) }, truncated: true };
}

/** The field of a dispatch's record in the run's hash (Keys.runInputs). */
export const resolvedInputField = (stage: string, dispatch: number) => `${stage}#${dispatch}`;

/** A dispatch's record as stored. */
export const resolvedInputJson = (dispatch: number, input: JsonValue) => JSON.stringify(capResolvedInput(dispatch, input));

interface InputRecord {
  key: string;
  field: string;
  json: string;
}

/** The records of one callback (e.g. the first stages of a group of submissions) go out as one pipeline. */
const writers = new WeakMap<RedisClient, RedisBatcher<InputRecord, unknown>>();

function writer(redis: RedisClient): RedisBatcher<InputRecord, unknown> {
  let w = writers.get(redis);
  if (!w) {
    w = new RedisBatcher<InputRecord, unknown>(redis, (pipe, r) => pipe.hset(r.key, r.field, r.json), (raw) => raw);
    writers.set(redis, w);
  }
  return w;
}

/**
 * Records a dispatch's resolved input (not awaited by dispatch: a lost record costs only the view).
 * A stage queued by a run commit has its record written by that commit (commit-extras.ts); this is for
 * the other dispatches (a run's first stages, repairs).
 */
export function recordResolvedInput(ctx: EngineContext, runId: string, stage: string, dispatch: number, input: JsonValue): void {
  writer(ctx.redis)
    .call({ key: ctx.keys.runInputs(runId), field: resolvedInputField(stage, dispatch), json: resolvedInputJson(dispatch, input) })
    .catch((e: unknown) => ctx.log.warn({ runId, stage, err: errorMessage(e) }, 'could not record the resolved input'));
}

/**
 * Every recorded dispatch's resolved input, per stage, oldest first (a stage retried from the API
 * has one per dispatch; stages never dispatched are absent). One HGETALL of the run's hash.
 */
export async function resolvedInputHistory(ctx: EngineContext, doc: RunDoc): Promise<Record<string, ResolvedInput[]>> {
  const all = await ctx.redis.hgetall(ctx.keys.runInputs(doc.id));
  const out: Record<string, ResolvedInput[]> = {};
  for (const [f, json] of Object.entries(all)) {
    const stage = f.slice(0, f.lastIndexOf('#'));
    if (!doc.stages[stage]) continue;
    (out[stage] ??= []).push(JSON.parse(json) as ResolvedInput);
  }
  for (const list of Object.values(out)) list.sort((a, b) => a.dispatch - b.dispatch);
  return out;
}
