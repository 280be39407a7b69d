import type { StageState } from '../run-doc.js';
import type { DraftLike } from './draft.js';

/**
 * The order of a stage's attempt facts (issue 13, defect 7). Facts about a job are read, then
 * committed; a commit that loses a revision race is recomputed from the same facts against the
 * newer document, so a fact may arrive after the stage moved past it (attempt 1's "started" after
 * attempt 1 failed and was retried). Each fact carries the attempt it describes, and a fact older
 * than the stage's current attempt state is ignored, so no retry or start is counted twice.
 *
 * Positions, within one dispatch: attempt k running = 2k; attempt k failed and its retry queued
 * = 2k+1 (a stage queued and never started has attempts 0: position 1, before attempt 1 runs).
 */

/** Where the stage is now. */
export function stagePosition(st: StageState): number {
  return st.status === 'running' ? 2 * st.attempts : 2 * st.attempts + 1;
}

/** An agent started (or is running) attempt `attempt`. */
export const startedPosition = (attempt: number): number => 2 * attempt;

/** Attempt `attempt` failed and another was scheduled. */
export const retryingPosition = (attempt: number): number => 2 * attempt + 1;

/** True when a fact at `position` describes an attempt state the stage has already left. */
export const isStale = (st: StageState, position: number): boolean => position < stagePosition(st);

/**
 * Retries are observed from the job's state, so a quick retry (short backoff) can run before any
 * orchestrator sees the job delayed. Emit the retries the attempt number proves happened, so the
 * timeline and the retry counters do not depend on that race.
 */
export function emitUnseenRetries(d: DraftLike, cur: StageState, stage: string, attempt: number): void {
  const retriedThrough = cur.status === 'queued' ? cur.attempts : Math.max(0, cur.attempts - 1);
  for (let k = retriedThrough + 1; k < attempt; k++) {
    d.emit({ type: 'stage.retrying', stage, attempt: k, error: `attempt ${k} failed and was retried before its failure was observed` });
  }
}
