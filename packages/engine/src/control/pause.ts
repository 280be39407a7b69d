import type { StageState } from '../run-doc.js';
import { emitUnseenRetries } from './attempt-order.js';
import type { DraftLike } from './draft.js';

/**
 * Pause as pure transitions (issue 13, defect 8). A paused run starts no new attempt: the jobs of
 * its queued stages — never started, or waiting in a retry's backoff — are taken back off their
 * queues (atomically, see lua/take-back-job.lua) and the stages go back to `pending`. The attempts
 * they used stay counted: on resume the stage is queued anew with a job that has only the attempts
 * left, and whose attempt numbers continue from there (`attemptBase`).
 */

/** Attempts a stage's state says its current dispatch's job has used before `attemptsMade` is known. */
export const baseOf = (st: StageState): number => st.attemptBase ?? 0;

/**
 * A stage whose job was taken back goes `pending`, keeping the attempts it used. `attemptsMade` is
 * the job's own count of finished attempts (null when the job was already gone): the attempts used
 * are then the stage's base plus those. A retry BullMQ had scheduled but the engine not yet seen
 * is emitted by the caller (the retry did happen; its attempt starts after the resume).
 */
export function takeBack(d: DraftLike, stage: string, attemptsMade: number | null): void {
  const st = d.doc.stages[stage]!;
  const used = attemptsMade === null ? st.attempts : baseOf(st) + attemptsMade;
  if (attemptsMade !== null) emitUnseenRetries(d, { ...st }, stage, used + 1);
  st.status = 'pending';
  st.queuedAt = null;
  st.agentId = null;
  st.progress = null;
  st.attempts = used;
}

/**
 * The attempts a stage about to be queued carries over: a `pending` stage with attempts used was
 * taken back by a pause (a fresh or API-retried stage has none).
 */
export const carriedAttempts = (prev: StageState): number => (prev.status === 'pending' ? prev.attempts : 0);

/**
 * While the run is paused its live jobs are held (superseded.ts): an agent that takes one refuses
 * to start the handler and returns `CANCELLED`, marked `refused`. Pausing marks the live stages
 * `held`; a refusal of a held dispatch — applied while paused or after the resume — means that
 * attempt never ran: the stage is taken back (and queued anew once the run is not paused) instead of
 * failed. A handler that itself answers `CANCELLED` (no `refused` mark) did run: that fails the stage
 * like any final failure, held or not — taking it back would run the handler once more.
 */
export function holdLive(d: DraftLike): void {
  for (const st of Object.values(d.doc.stages)) if (st.status === 'queued' || st.status === 'running') st.held = true;
}

export const refusedWhileHeld = (st: StageState, outcome: { ok: boolean; refused?: true }): boolean =>
  st.held === true && !outcome.ok && outcome.refused === true;

/** A held job was refused as attempt `attempt` (in the stage's count): it never ran, the ones before did. */
export function takeBackRefused(d: DraftLike, stage: string, attempt: number): void {
  const st = d.doc.stages[stage]!;
  const used = Math.max(0, attempt - 1);
  emitUnseenRetries(d, { ...st }, stage, used + 1);
  takeBack(d, stage, null);
  st.attempts = used;
}
