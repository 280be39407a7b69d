import { signalSchema, type JsonValue, type WaitForSpec } from '@baton/contracts';
import { EngineError } from '../engine-error.js';
import { stageDef, type RunDoc } from '../run-doc.js';
import { beginWait, finishWith } from './approval.js';
import type { DraftLike } from './draft.js';

/**
 * Signal stages as pure transitions. A stage with `waitFor` takes no job: when its dependencies are
 * done it is `waiting` until `POST /v1/runs/:id/signals/:name` delivers a payload, which becomes its
 * output. A signal sent before its stage waits is kept in the run document and consumed when the
 * stage starts waiting, so a sender never races the run. Timeouts share the approval path: the
 * reconciler pass expires due waits of runs in `waiting`.
 */

export interface SignalFact {
  name: string;
  payload: JsonValue;
}

export const waitForOf = (doc: RunDoc, stage: string): WaitForSpec | undefined => stageDef(doc, stage).waitFor;

/** When a waiting signal stage times out (epoch ms), or null. */
export function signalWaitingUntil(doc: RunDoc, stage: string): number | null {
  const spec = waitForOf(doc, stage);
  const st = doc.stages[stage];
  if (!spec || spec.timeoutMs === null || st?.status !== 'waiting' || st.queuedAt === null) return null;
  return st.queuedAt + spec.timeoutMs;
}

/** A ready signal stage starts waiting, or completes at once with a signal that already arrived. */
export function startSignalWait(d: DraftLike, stage: string): void {
  const spec = waitForOf(d.doc, stage)!;
  beginWait(d, stage, undefined);
  const until = signalWaitingUntil(d.doc, stage);
  d.emit({ type: 'stage.waiting', stage, message: `waiting for signal "${spec.signal}"`, until: until === null ? null : new Date(until).toISOString() });
  const kept = d.doc.signals?.[spec.signal];
  if (kept) {
    const { [spec.signal]: _consumed, ...rest } = d.doc.signals!;
    d.doc.signals = rest;
    finishWith(d, stage, kept.payload, null);
  }
}

/** Throws INVALID_REQUEST (with issues under `payload`) when the payload does not match the stage's schema. */
function checkPayload(spec: WaitForSpec, stage: string, payload: JsonValue): void {
  if (spec.schema === undefined) return;
  const schema = signalSchema(spec.schema);
  if ('error' in schema) throw new EngineError('INTERNAL', `stage "${stage}" has an unreadable signal schema: ${schema.error}`);
  const r = schema.safeParse(payload);
  if (!r.success) {
    throw new EngineError(
      'INVALID_REQUEST',
      `the payload does not match the schema of stage "${stage}": ${r.error.issues[0]?.message ?? 'invalid'}`,
      r.error.issues.map((i) => ({ path: ['payload', ...i.path.map((p) => (typeof p === 'number' ? p : String(p)))], message: i.message })),
    );
  }
}

/**
 * Delivers a signal: every stage waiting for it completes with the payload. With none waiting but a
 * stage that will wait for it later (pending), the signal is kept for that stage (the latest payload
 * wins). Throws when no stage of the run waits for this signal any more.
 */
export function deliver(d: DraftLike, f: SignalFact): { delivered: string[]; buffered: boolean } {
  const listeners = d.doc.definition.stages.filter((s) => s.waitFor?.signal === f.name);
  if (listeners.length === 0) {
    throw new EngineError('INVALID_REQUEST', `no stage of run ${d.doc.id} waits for signal "${f.name}"`, [{ path: ['name'], message: `unknown signal "${f.name}"` }]);
  }
  const waiting = listeners.filter((s) => d.doc.stages[s.name]?.status === 'waiting');
  const later = listeners.filter((s) => d.doc.stages[s.name]?.status === 'pending');
  for (const s of [...waiting, ...later]) checkPayload(s.waitFor!, s.name, f.payload);
  for (const s of waiting) finishWith(d, s.name, f.payload, null);
  if (waiting.length > 0) return { delivered: waiting.map((s) => s.name), buffered: false };
  if (later.length === 0) {
    throw new EngineError('INVALID_STATE', `the stages of run ${d.doc.id} that wait for signal "${f.name}" are no longer waiting`);
  }
  d.doc.signals = { ...d.doc.signals, [f.name]: { payload: f.payload, at: d.now } };
  return { delivered: [], buffered: true };
}

/** A waiting signal stage's timeout passed (no-op when it is not waiting any more or not yet due). */
export function expireSignal(d: DraftLike, stage: string): boolean {
  const until = signalWaitingUntil(d.doc, stage);
  if (until === null || d.now < until) return false;
  const spec = waitForOf(d.doc, stage)!;
  finishWith(d, stage, null, { code: 'SIGNAL_TIMEOUT', message: `no signal "${spec.signal}" within ${spec.timeoutMs} ms`, retryable: false });
  return true;
}
