import { approvalDenial, renderMessage, type ApprovalOutput, type ApprovalSpec, type JsonValue, type Role, type StageError } from '@baton/contracts';
import { EngineError } from '../engine-error.js';
import { stageDef, stageState, type RunDoc } from '../run-doc.js';
import { succeededOutputs } from './outputs.js';
import type { DraftLike } from './draft.js';

/**
 * Approval gates as pure transitions. An approval stage takes no job: when its dependencies are
 * done it goes `waiting` (and the run with it) until a decision or its timeout. The reducer routes
 * to these functions and settles the run afterwards.
 */

export interface Approver {
  /** null for the bootstrap key (it has no id). */
  keyId: string | null;
  role: Role;
}

export interface Decision {
  stage: string;
  decision: 'approved' | 'rejected';
  /** null when auth is disabled (anyone reaching the API decides). */
  actor: Approver | null;
  comment: string | null;
}

export const approvalOf = (doc: RunDoc, stage: string): ApprovalSpec | undefined => stageDef(doc, stage).approval;

/** When a waiting approval stage times out (epoch ms), or null. */
export function waitingUntil(doc: RunDoc, stage: string): number | null {
  const spec = approvalOf(doc, stage);
  const st = doc.stages[stage];
  if (!spec || spec.timeoutMs === null || st?.status !== 'waiting' || st.queuedAt === null) return null;
  return st.queuedAt + spec.timeoutMs;
}

/** A ready approval or signal stage starts waiting (instead of being queued for an agent). */
export function beginWait(d: DraftLike, stage: string, message: string | undefined): void {
  const { condition, ...prev } = stageState(d.doc, stage);
  d.doc.stages[stage] = {
    ...prev,
    ...(condition ? { condition } : {}),
    ...(message !== undefined ? { message } : {}),
    status: 'waiting',
    dispatch: prev.dispatch + 1,
    attempts: 0,
    agentId: null,
    queuedAt: d.now,
    startedAt: d.now,
    finishedAt: null,
    progress: null,
    output: null,
    error: null,
  };
}

/** A ready approval stage starts waiting, its message rendered against the run input and upstream outputs. */
export function startWaiting(d: DraftLike, stage: string): void {
  const message = renderMessage(approvalOf(d.doc, stage)!.message, { input: d.doc.input, outputs: succeededOutputs(d.doc) });
  beginWait(d, stage, message);
  const until = waitingUntil(d.doc, stage);
  d.emit({ type: 'stage.waiting', stage, message, until: until === null ? null : new Date(until).toISOString() });
}

/** The stages of a run waiting for a decision, in definition order. */
export const waitingStages = (doc: RunDoc): string[] => doc.definition.stages.filter((s) => doc.stages[s.name]?.status === 'waiting').map((s) => s.name);

/** Keeps the run's status in step: `waiting` while any stage waits (unless paused), `running` after. */
export function syncRunWaiting(d: DraftLike): void {
  const doc = d.doc;
  if (doc.status !== 'queued' && doc.status !== 'running' && doc.status !== 'waiting') return;
  const waiting = waitingStages(doc).length > 0;
  if (waiting && doc.status !== 'waiting') {
    if (doc.startedAt === null) {
      doc.startedAt = d.now;
      d.emit({ type: 'run.started' });
    }
    doc.status = 'waiting';
  } else if (!waiting && doc.status === 'waiting') {
    doc.status = 'running';
  }
}

/** Throws unless `actor` may decide on `stage` of `doc`. */
export function checkApprover(doc: RunDoc, stage: string, actor: Approver | null): void {
  if (actor === null) return;
  const denied = approvalDenial(approvalOf(doc, stage)!, doc.createdBy, actor);
  if (denied !== null) throw new EngineError('FORBIDDEN', `run ${doc.id}, stage "${stage}": ${denied}`);
}

export function finishWith(d: DraftLike, stage: string, output: JsonValue, error: StageError | null): void {
  const st = stageState(d.doc, stage);
  st.finishedAt = d.now;
  const durationMs = st.startedAt === null ? null : Math.max(0, d.now - st.startedAt);
  if (error === null) {
    st.status = 'succeeded';
    st.output = output;
    d.emit({ type: 'stage.succeeded', stage, output, durationMs });
  } else {
    st.status = 'failed';
    st.error = error;
    d.emit({ type: 'stage.failed', stage, error });
  }
}

/** An approver approved or rejected a waiting stage. Throws on a stage that is not waiting. */
export function decide(d: DraftLike, f: Decision): void {
  const st = d.doc.stages[f.stage];
  if (!st) {
    throw new EngineError('INVALID_REQUEST', `run ${d.doc.id} has no stage "${f.stage}"`, [{ path: ['stage'], message: `unknown stage "${f.stage}"` }]);
  }
  if (!approvalOf(d.doc, f.stage)) throw new EngineError('INVALID_STATE', `stage "${f.stage}" of run ${d.doc.id} is not an approval stage`);
  if (st.status !== 'waiting') throw new EngineError('INVALID_STATE', `stage "${f.stage}" of run ${d.doc.id} is ${st.status}, not waiting for a decision`);
  checkApprover(d.doc, f.stage, f.actor);
  const output: ApprovalOutput = { decision: f.decision, by: f.actor?.keyId ?? null, role: f.actor?.role ?? null, at: new Date(d.now).toISOString(), comment: f.comment };
  const error: StageError | null =
    f.decision === 'approved'
      ? null
      : { code: 'APPROVAL_REJECTED', message: `rejected by ${output.by ?? 'an anonymous approver'}${f.comment ? `: ${f.comment}` : ''}`, retryable: false, details: output };
  finishWith(d, f.stage, output, error);
}

/** A waiting stage's timeout passed (no-op when it is not waiting any more or not yet due). */
export function expire(d: DraftLike, stage: string): boolean {
  const until = waitingUntil(d.doc, stage);
  if (until === null || d.now < until) return false;
  const spec = approvalOf(d.doc, stage)!;
  const output: ApprovalOutput = { decision: 'timed-out', by: null, role: null, at: new Date(d.now).toISOString(), comment: null };
  const code = spec.onTimeout === 'reject' ? 'APPROVAL_REJECTED' : 'APPROVAL_TIMEOUT';
  finishWith(d, stage, output, { code, message: `no decision within ${spec.timeoutMs} ms`, retryable: false, details: output });
  return true;
}
