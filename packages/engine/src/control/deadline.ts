import type { StageError } from '@baton/contracts';
import type { RunDoc } from '../run-doc.js';

/**
 * Run deadlines. A run's `deadlineAt` is fixed when it is created (the request's `deadlineMs`, else
 * the pipeline's); once it passes, the reconciler pass (no timer of its own) fails the run with
 * RUN_DEADLINE_EXCEEDED and its running stages are cancelled (their agents are told to abort).
 * Being state in the run document, a deadline survives any restart.
 */

/** The deadline of a new run (epoch ms), or null. */
export function deadlineFor(now: number, requested: number | undefined, pipelineDefault: number | undefined): number | null {
  const ms = requested ?? pipelineDefault;
  return ms === undefined ? null : now + ms;
}

/** Whether the run's deadline has passed (false for finished runs and runs without one). */
export function deadlinePassed(doc: RunDoc, now: number): boolean {
  if (doc.status === 'succeeded' || doc.status === 'failed' || doc.status === 'cancelled') return false;
  return doc.deadlineAt != null && now >= doc.deadlineAt;
}

/** The run's error when it missed its deadline: which stages were still live. */
export function deadlineError(doc: RunDoc, now: number): StageError {
  const live = Object.entries(doc.stages)
    .filter(([, s]) => s.status === 'queued' || s.status === 'running' || s.status === 'waiting')
    .map(([n]) => n);
  return {
    code: 'RUN_DEADLINE_EXCEEDED',
    message: `the run did not finish within its deadline (${new Date(doc.deadlineAt!).toISOString()}); aborted stages: ${live.join(', ') || 'none'}`,
    retryable: false,
    details: { deadlineAt: new Date(doc.deadlineAt!).toISOString(), abortedStages: live, at: new Date(now).toISOString() },
  };
}
