import {
  downstreamOf,
  MAX_OUTPUT_BYTES,
  TERMINAL_RUN_STATUSES,
  TERMINAL_STAGE_STATUSES,
  topologicalOrder,
  type JsonObject,
  type JsonValue,
  type Labels,
  type ModelUsage,
  type PipelineDefinition,
  type RunEvent,
  type StageError,
  type StageProgress,
} from '@baton/contracts';
import { budgetSpent, chargeUsage } from './control/budget.js';
import { decide, expire, startWaiting, syncRunWaiting, waitingStages, type Decision } from './control/approval.js';
import { emitUnseenRetries, isStale, retryingPosition, stagePosition, startedPosition } from './control/attempt-order.js';
import { carriedAttempts, holdLive, refusedWhileHeld, takeBack, takeBackRefused } from './control/pause.js';
import { gate, grant, noteHolder, releaseSlots } from './control/concurrency.js';
import type { DraftLike } from './control/draft.js';
import { cancelItems, fill, forEachOf, startFanOut } from './control/for-each.js';
import { readyGate } from './control/ready-gate.js';
import { deadlineError, deadlineFor, deadlinePassed } from './control/deadline.js';
import { deliver, expireSignal, startSignalWait, type SignalFact } from './control/signal.js';
import { EngineError } from './engine-error.js';
import { copyDoc, stageDef, stageState, type RunDoc, type StageState } from './run-doc.js';

/**
 * Run transitions as pure functions: (document, fact) -> new document + events, or null when the
 * fact changes nothing (a duplicate or stale notification). The store commits the result atomically
 * against the revision it was computed from, so concurrent orchestrators can't both apply one fact.
 */
export interface Transition {
  doc: RunDoc;
  events: RunEvent[];
}

const iso = (ms: number) => new Date(ms).toISOString();

type EventBody = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'runId' | 'at'> : never) : never;

function emptyStage(): StageState {
  return {
    status: 'pending',
    dispatch: 0,
    attempts: 0,
    agentId: null,
    queuedAt: null,
    startedAt: null,
    finishedAt: null,
    progress: null,
    output: null,
    error: null,
  };
}

class Draft {
  readonly events: RunEvent[] = [];
  constructor(
    readonly doc: RunDoc,
    readonly now: number,
  ) {
    doc.updatedAt = now;
  }
  emit(event: EventBody): void {
    this.events.push({ ...event, runId: this.doc.id, at: iso(this.now) } as RunEvent);
  }
  done(): Transition {
    return { doc: this.doc, events: this.events };
  }
}

function draft(doc: RunDoc, now: number): Draft {
  return new Draft(copyDoc(doc), now);
}

export interface NewRun {
  id: string;
  pipeline: { name: string; version: number | null };
  definition: PipelineDefinition;
  input: JsonObject;
  labels: Labels;
  now: number;
  createdBy?: string | null;
  /** 1-10 (control/priority.ts); absent = the default. */
  priority?: number;
  /** The request's deadline (ms from now); the definition's `deadlineMs` otherwise. */
  deadlineMs?: number;
}

export function createRun(r: NewRun): Transition {
  const doc: RunDoc = {
    schema: 1,
    id: r.id,
    pipeline: r.pipeline,
    definition: r.definition,
    input: r.input,
    labels: r.labels,
    status: 'queued',
    createdAt: r.now,
    startedAt: null,
    finishedAt: null,
    updatedAt: r.now,
    error: null,
    cancelReason: null,
    createdBy: r.createdBy ?? null,
    ...(r.priority !== undefined ? { priority: r.priority } : {}),
    deadlineAt: deadlineFor(r.now, r.deadlineMs, r.definition.deadlineMs),
    stages: Object.fromEntries(r.definition.stages.map((s) => [s.name, emptyStage()])),
  };
  const d = new Draft(doc, r.now);
  d.emit({ type: 'run.created', pipeline: r.pipeline.name, version: r.pipeline.version });
  settle(d);
  return d.done();
}

const orderCache = new WeakMap<PipelineDefinition, string[]>();

/** Stages in dependency order (computed once per definition object). */
function ordered(doc: RunDoc): string[] {
  let order = orderCache.get(doc.definition);
  if (!order) {
    order = topologicalOrder(doc.definition);
    orderCache.set(doc.definition, order);
  }
  return order;
}

/** Moves the run forward: fails it on a fatal stage failure, queues ready stages, finishes it when all is done. */
function settle(d: Draft): void {
  const doc = d.doc;
  if (TERMINAL_RUN_STATUSES.has(doc.status)) return;

  const fatal = ordered(doc).find((n) => stageState(doc, n).status === 'failed' && stageDef(doc, n).onFailure === 'fail-run');
  if (fatal) {
    const err = stageState(doc, fatal).error!;
    finishRun(d, 'failed', { ...err, details: { ...err.details, stage: fatal } }, `run failed at stage "${fatal}"`);
    return;
  }

  const overBudget = budgetSpent(doc);
  if (overBudget && Object.values(doc.stages).some((s) => s.status === 'pending')) {
    finishRun(d, 'failed', overBudget, 'the run budget is spent');
    return;
  }

  if (doc.status !== 'paused') {
    let finishedAtOnce = false;
    for (const name of ordered(doc)) {
      const st = stageState(doc, name);
      if (st.fanOut && (st.status === 'queued' || st.status === 'running')) fill(d, name); // after a resume
      if (st.status !== 'pending') continue;
      const def = stageDef(doc, name);
      const deps = def.dependsOn.map((dep) => stageState(doc, dep).status);
      if (deps.some((s) => !TERMINAL_STAGE_STATUSES.has(s))) continue;
      // Skipped upstream, `when` (control/ready-gate.ts); then waits (approval, signal); then slots and fan-out.
      const ready = readyGate(d, name, deps);
      if (ready === 'failed') return settle(d); // the failure may end the run
      if (ready === 'skipped') continue;
      if (def.approval) {
        startWaiting(d, name);
        continue;
      }
      if (def.waitFor) {
        startSignalWait(d, name);
        continue;
      }
      const slots = gate(d, name);
      if (slots === 'failed') finishedAtOnce = true;
      if (slots !== 'go') continue;
      if (forEachOf(doc, name)) finishedAtOnce = startFanOut(d, name, st.dispatch + 1) || finishedAtOnce;
      else queueStage(d, name);
    }
    // A fan-out over an empty (or unusable) list finished as it started: settle what that unblocks.
    if (finishedAtOnce) {
      settle(d);
      return;
    }
  }

  const all = Object.values(doc.stages);
  if (all.every((s) => TERMINAL_STAGE_STATUSES.has(s.status))) finishRun(d, 'succeeded', null, null);
  syncRunWaiting(d);
  releaseSlots(d);
}

function queueStage(d: Draft, name: string): void {
  const prev = stageState(d.doc, name);
  const used = carriedAttempts(prev);
  const st: StageState = {
    ...emptyStage(),
    status: 'queued',
    dispatch: prev.dispatch + 1,
    queuedAt: d.now,
    ...(prev.condition ? { condition: prev.condition } : {}),
    ...(used > 0 ? { attempts: used, attemptBase: used } : {}),
  };
  d.doc.stages[name] = st;
  d.emit({ type: 'stage.queued', stage: name, agent: stageDef(d.doc, name).agent, dispatch: st.dispatch });
}

function finishRun(d: Draft, status: 'succeeded' | 'failed' | 'cancelled', error: StageError | null, reason: string | null): void {
  const doc = d.doc;
  for (const name of ordered(doc)) {
    const st = stageState(doc, name);
    if (st.status === 'pending') {
      st.status = status === 'cancelled' ? 'cancelled' : 'skipped';
      st.finishedAt = d.now;
      if (st.status === 'skipped') d.emit({ type: 'stage.skipped', stage: name, reason: reason ?? 'the run finished' });
      else d.emit({ type: 'stage.cancelled', stage: name });
    } else if (st.status === 'queued' || st.status === 'running' || st.status === 'waiting') {
      cancelItems(st);
      st.status = 'cancelled';
      st.finishedAt = d.now;
      d.emit({ type: 'stage.cancelled', stage: name });
    }
  }
  doc.status = status;
  doc.finishedAt = d.now;
  doc.error = error;
  if (status === 'succeeded') d.emit({ type: 'run.succeeded' });
  else if (status === 'failed') d.emit({ type: 'run.failed', error: error! });
  else d.emit({ type: 'run.cancelled', reason: doc.cancelReason });
  releaseSlots(d);
}

/** The stage state a job-driven fact applies to, or null when the fact is stale. */
function liveStage(doc: RunDoc, stage: string, dispatch: number): StageState | null {
  const st = doc.stages[stage];
  if (!st || st.dispatch !== dispatch) return null;
  return st.status === 'queued' || st.status === 'running' ? st : null;
}

export interface Started {
  stage: string;
  dispatch: number;
  agentId: string | null;
  attempt: number;
  startedAt: number;
}

/** An agent took the stage's job (first attempt, or a later one). */
export function markStarted(doc: RunDoc, f: Started, now: number): Transition | null {
  const cur = liveStage(doc, f.stage, f.dispatch);
  if (!cur || isStale(cur, startedPosition(f.attempt))) return null;
  if (cur.status === 'running' && cur.attempts >= f.attempt && cur.agentId === f.agentId) return null;
  const d = draft(doc, now);
  emitUnseenRetries(d, cur, f.stage, f.attempt);
  const st = stageState(d.doc, f.stage);
  st.status = 'running';
  st.attempts = Math.max(st.attempts, f.attempt);
  st.agentId = f.agentId;
  st.startedAt = st.startedAt ?? f.startedAt;
  d.emit({ type: 'stage.started', stage: f.stage, agentId: f.agentId, attempt: f.attempt });
  if (d.doc.status === 'queued') {
    d.doc.status = 'running';
    d.doc.startedAt = now;
    d.emit({ type: 'run.started' });
  }
  return d.done();
}

/** An attempt failed and BullMQ scheduled another one. */
export function markRetrying(doc: RunDoc, f: { stage: string; dispatch: number; attempt: number; error: string }, now: number): Transition | null {
  const cur = liveStage(doc, f.stage, f.dispatch);
  if (!cur || retryingPosition(f.attempt) <= stagePosition(cur)) return null;
  const d = draft(doc, now);
  const st = stageState(d.doc, f.stage);
  st.status = 'queued';
  st.attempts = f.attempt;
  st.progress = null;
  emitUnseenRetries(d, cur, f.stage, f.attempt);
  d.emit({ type: 'stage.retrying', stage: f.stage, attempt: f.attempt, error: f.error.slice(0, 1000) });
  return d.done();
}

export function markProgress(doc: RunDoc, f: { stage: string; dispatch: number; attempt: number; progress: StageProgress }, now: number): Transition | null {
  const cur = liveStage(doc, f.stage, f.dispatch);
  if (!cur || isStale(cur, startedPosition(f.attempt)) || JSON.stringify(cur.progress) === JSON.stringify(f.progress)) return null;
  const d = draft(doc, now);
  stageState(d.doc, f.stage).progress = f.progress;
  d.emit({ type: 'stage.progress', stage: f.stage, progress: f.progress });
  return d.done();
}

type OutcomeBase = { agentId: string | null; attempt: number; startedAt: number | null; finishedAt: number; usage?: ModelUsage };
/** `refused`: the runtime refused the job before its handler started (TaskResult.refused). */
export type Outcome = ({ ok: true; output: JsonValue } & OutcomeBase) | ({ ok: false; error: StageError; refused?: true } & OutcomeBase);

/** The stage's job finished for good (success, or a failure with no attempts left). */
export function markFinished(doc: RunDoc, f: { stage: string; dispatch: number; outcome: Outcome }, now: number): Transition | null {
  const cur = liveStage(doc, f.stage, f.dispatch);
  if (!cur) return null;
  if (refusedWhileHeld(cur, f.outcome)) return unqueueRefused(doc, f.stage, f.outcome.attempt, now);
  let outcome = f.outcome;
  if (outcome.ok) {
    const size = Buffer.byteLength(JSON.stringify(outcome.output) ?? 'null');
    if (size > MAX_OUTPUT_BYTES) {
      outcome = {
        ...outcome,
        ok: false,
        error: { code: 'OUTPUT_TOO_LARGE', message: `stage output is ${size} bytes; the limit is ${MAX_OUTPUT_BYTES}`, retryable: false },
      };
    }
  }
  const d = draft(doc, now);
  emitUnseenRetries(d, cur, f.stage, outcome.attempt);
  const st = stageState(d.doc, f.stage);
  st.agentId = outcome.agentId ?? st.agentId;
  // The result's attempt number is authoritative (earlier "started" notices may have raced).
  st.attempts = outcome.attempt > 0 ? outcome.attempt : st.attempts;
  st.startedAt = st.startedAt ?? outcome.startedAt;
  st.finishedAt = outcome.finishedAt;
  chargeUsage(d.doc, f.stage, outcome.usage);
  if (outcome.ok) {
    st.status = 'succeeded';
    st.output = outcome.output;
    const durationMs = st.startedAt === null ? null : Math.max(0, st.finishedAt - st.startedAt);
    d.emit({ type: 'stage.succeeded', stage: f.stage, output: outcome.output, durationMs });
  } else {
    st.status = 'failed';
    st.error = outcome.error;
    d.emit({ type: 'stage.failed', stage: f.stage, error: outcome.error });
  }
  if (d.doc.status === 'queued') {
    d.doc.status = 'running';
    d.doc.startedAt = d.doc.startedAt ?? now;
  }
  settle(d);
  return d.done();
}

/**
 * A fact about one item of a fan-out stage, applied by `fn` (one of control/for-each.ts's
 * transitions, which returns false when the fact changes nothing).
 */
export function markItem(doc: RunDoc, fn: (d: DraftLike) => boolean, now: number): Transition | null {
  const d = draft(doc, now);
  if (!fn(d)) return null;
  if (d.doc.status === 'queued') {
    d.doc.status = 'running';
    d.doc.startedAt = now;
    d.emit({ type: 'run.started' });
  }
  settle(d);
  return d.done();
}

/**
 * A stage's job was taken off its queue because the run is paused (control/pause.ts); it is queued
 * anew on resume, with the attempts it used still counted. `attemptsMade` is the job's count of
 * finished attempts when it was taken back (null when it was gone already: only a queued stage is
 * then put back). A job taken back in a retry's backoff may still show its stage running (the
 * retry not observed yet): that retry is emitted here.
 */
export function unqueue(doc: RunDoc, f: { stage: string; dispatch: number; attemptsMade?: number | null }, now: number): Transition | null {
  const cur = liveStage(doc, f.stage, f.dispatch);
  if (!cur || doc.status !== 'paused') return null;
  const made = f.attemptsMade ?? null;
  if (cur.status !== 'queued' && made === null) return null;
  const d = draft(doc, now);
  takeBack(d, f.stage, made);
  return d.done();
}

/** An agent refused a held job: that attempt never ran (control/pause.ts); settled, it is queued anew unless paused. */
function unqueueRefused(doc: RunDoc, stage: string, attempt: number, now: number): Transition {
  const d = draft(doc, now);
  takeBackRefused(d, stage, attempt);
  settle(d);
  return d.done();
}

function requireNotTerminal(doc: RunDoc, action: string): void {
  if (TERMINAL_RUN_STATUSES.has(doc.status)) {
    throw new EngineError('INVALID_STATE', `cannot ${action} run ${doc.id}: it is already ${doc.status}`);
  }
}

export function cancel(doc: RunDoc, reason: string | null, now: number): Transition {
  requireNotTerminal(doc, 'cancel');
  const d = draft(doc, now);
  d.doc.cancelReason = reason;
  finishRun(d, 'cancelled', null, reason);
  return d.done();
}

export function pause(doc: RunDoc, now: number): Transition {
  requireNotTerminal(doc, 'pause');
  if (doc.status === 'paused') throw new EngineError('INVALID_STATE', `run ${doc.id} is already paused`);
  const d = draft(doc, now);
  d.doc.status = 'paused';
  holdLive(d);
  d.emit({ type: 'run.paused' });
  return d.done();
}

export function resume(doc: RunDoc, now: number): Transition {
  if (doc.status !== 'paused') throw new EngineError('INVALID_STATE', `run ${doc.id} is ${doc.status}, not paused`);
  const d = draft(doc, now);
  d.doc.status = d.doc.startedAt === null ? 'queued' : 'running';
  d.emit({ type: 'run.resumed' });
  settle(d);
  return d.done();
}

/**
 * Re-runs `fromStage` and everything downstream of it, keeping the outputs of stages that succeeded
 * upstream. Without `fromStage`, re-runs every failed stage. Either way, stages that never finished
 * (cancelled or skipped when the run ended) run again too, with their downstream.
 */
export function retry(doc: RunDoc, fromStage: string | undefined, now: number): Transition {
  if (!TERMINAL_RUN_STATUSES.has(doc.status)) {
    throw new EngineError('INVALID_STATE', `cannot retry run ${doc.id}: it is ${doc.status}; cancel it first or wait for it to finish`);
  }
  if (fromStage !== undefined && !doc.stages[fromStage]) {
    throw new EngineError('INVALID_REQUEST', `run ${doc.id} has no stage "${fromStage}"`, [
      { path: ['fromStage'], message: `unknown stage "${fromStage}"; stages: ${Object.keys(doc.stages).join(', ')}` },
    ]);
  }
  const withStatus = (...st: string[]) => Object.entries(doc.stages).filter(([, s]) => st.includes(s.status)).map(([n]) => n);
  const roots = [...(fromStage !== undefined ? [fromStage] : withStatus('failed')), ...withStatus('cancelled', 'skipped')];
  if (roots.length === 0) throw new EngineError('INVALID_STATE', `run ${doc.id} has no failed, cancelled or skipped stage to retry; pass fromStage`);
  const targets = new Set(roots.flatMap((r) => [r, ...downstreamOf(doc.definition, r)]));
  const d = draft(doc, now);
  for (const name of targets) {
    const prev = stageState(d.doc, name);
    d.doc.stages[name] = { ...emptyStage(), dispatch: prev.dispatch };
  }
  d.doc.status = d.doc.startedAt === null ? 'queued' : 'running';
  d.doc.finishedAt = null;
  d.doc.error = null;
  d.doc.cancelReason = null;
  if (deadlinePassed(d.doc, now)) d.doc.deadlineAt = null; // a retried run is not failed again at once
  d.emit({ type: 'run.retried', fromStage: fromStage ?? null, stages: ordered(d.doc).filter((n) => targets.has(n)) });
  settle(d);
  return d.done();
}

/** An approver decided on a waiting approval stage (control/approval.ts); throws when they may not. */
export function decideApproval(doc: RunDoc, f: Decision, now: number): Transition {
  requireNotTerminal(doc, 'decide on');
  const d = draft(doc, now);
  decide(d, f);
  settle(d);
  return d.done();
}

/** Delivers a signal to the stages waiting for it (control/signal.ts), or keeps it for a later one. */
export function deliverSignal(doc: RunDoc, f: SignalFact, now: number): Transition & { delivered: string[]; buffered: boolean } {
  requireNotTerminal(doc, 'signal');
  const d = draft(doc, now);
  const r = deliver(d, f);
  d.emit({ type: 'run.signalled', signal: f.name, delivered: r.delivered, buffered: r.buffered });
  settle(d);
  return { ...d.done(), ...r };
}

/** The run's deadline passed: it fails with RUN_DEADLINE_EXCEEDED and its live stages are cancelled. */
export function expireDeadline(doc: RunDoc, now: number): Transition | null {
  if (!deadlinePassed(doc, now)) return null;
  const d = draft(doc, now);
  finishRun(d, 'failed', deadlineError(doc, now), 'the run missed its deadline');
  return d.done();
}

/**
 * Waiting approval stages whose timeout has passed are decided as their `onTimeout` says; waiting
 * signal stages past theirs fail with SIGNAL_TIMEOUT.
 */
export function expireApprovals(doc: RunDoc, now: number): Transition | null {
  if (doc.status !== 'waiting') return null;
  const d = draft(doc, now);
  const expired = waitingStages(d.doc).filter((name) => (stageDef(d.doc, name).waitFor ? expireSignal(d, name) : expire(d, name)));
  if (expired.length === 0) return null;
  settle(d);
  return d.done();
}

/** A concurrency slot of the run was granted (control/concurrency.ts); the commit takes it or is refused. */
export function grantSlot(doc: RunDoc, scope: string, now: number): Transition | null {
  const d = draft(doc, now);
  if (!grant(d, scope)) return null;
  settle(d);
  return d.done();
}

/** A grant was refused: remember who holds the key, for the waiting reason. */
export function noteSlotHolder(doc: RunDoc, scope: string, holder: string | null, now: number): Transition | null {
  const d = draft(doc, now);
  return noteHolder(d, scope, holder) ? d.done() : null;
}
