import { checkAgentProtocol, StageProgress, TaskResult, type StageError } from '@baton/contracts';
import type { Job } from 'bullmq';
import type { JobStateName } from './queues.js';
import { itemFinished, itemRetrying, itemStarted } from './control/for-each.js';
import { markFinished, markItem, markProgress, markRetrying, markStarted, type Outcome, type Transition } from './reducer.js';
import { baseOf } from './control/pause.js';
import type { RunDoc } from './run-doc.js';

/** What a BullMQ job's state says about its stage. */
export type JobFact =
  | { kind: 'finished'; outcome: Outcome }
  | { kind: 'started'; agentId: string | null; attempt: number; startedAt: number }
  | { kind: 'retrying'; attempt: number; error: string }
  | { kind: 'progress'; attempt: number; progress: StageProgress };

function failure(job: Job, error: StageError, now: number): JobFact {
  return {
    kind: 'finished',
    outcome: {
      ok: false,
      error,
      agentId: job.processedBy ?? null,
      attempt: Math.max(1, job.attemptsMade),
      startedAt: job.processedOn ?? null,
      finishedAt: job.finishedOn ?? now,
    },
  };
}

/** The fact a completed job's return value states, or why it cannot be read. */
export function resultFact(returnvalue: unknown): { ok: true; fact: JobFact } | { ok: false; error: StageError } {
  const parsed = TaskResult.safeParse(returnvalue);
  if (!parsed.success) {
    return { ok: false, error: { code: 'PROTOCOL_MISMATCH', message: `the agent returned a result this orchestrator cannot read: ${parsed.error.issues[0]?.message ?? 'invalid'}`, retryable: false } };
  }
  const r = parsed.data;
  const proto = checkAgentProtocol(r.protocol);
  if (!proto.ok) return { ok: false, error: { code: 'PROTOCOL_MISMATCH', message: proto.reason, retryable: false } };
  const common = { agentId: r.agentId, attempt: r.attempt, startedAt: Date.parse(r.startedAt), finishedAt: Date.parse(r.finishedAt), ...(r.usage ? { usage: r.usage } : {}) };
  return { ok: true, fact: { kind: 'finished', outcome: r.ok ? { ok: true, output: r.output, ...common } : { ok: false, error: r.error, ...(r.refused ? { refused: true } : {}), ...common } } };
}

/** Reads the facts from a job in a given state. */
export function jobFacts(job: Job, state: JobStateName, now: number): JobFact[] {
  switch (state) {
    case 'completed': {
      const r = resultFact(job.returnvalue);
      return [r.ok ? r.fact : failure(job, r.error, now)];
    }
    case 'failed':
      // The runtime returns final failures as results, so a job BullMQ itself failed means the agents
      // holding it kept dying (stalled more than maxStalledCount times) or it could not be processed.
      return [failure(job, { code: 'AGENT_LOST', message: `the job failed outside the agent handler: ${job.failedReason ?? 'unknown reason'}`, retryable: false }, now)];
    case 'active': {
      const facts: JobFact[] = [{ kind: 'started', agentId: job.processedBy ?? null, attempt: job.attemptsMade + 1, startedAt: job.processedOn ?? now }];
      const progress = StageProgress.safeParse(job.progress);
      if (progress.success && (progress.data.percent !== undefined || progress.data.message !== undefined)) {
        facts.push({ kind: 'progress', attempt: job.attemptsMade + 1, progress: progress.data });
      }
      return facts;
    }
    case 'delayed':
      return job.attemptsMade > 0 ? [{ kind: 'retrying', attempt: job.attemptsMade, error: job.failedReason ?? '' }] : [];
    default:
      return [];
  }
}

/**
 * A job numbers its attempts from 1; a stage whose earlier jobs a pause took back continues from
 * the attempts those used (control/pause.ts). Facts about any other dispatch are stale anyway.
 */
function inStageTerms(doc: RunDoc, stage: string, dispatch: number, f: JobFact): JobFact {
  const st = doc.stages[stage];
  const base = st?.dispatch === dispatch ? baseOf(st) : 0;
  if (base === 0) return f;
  if (f.kind === 'finished') return f.outcome.attempt > 0 ? { ...f, outcome: { ...f.outcome, attempt: f.outcome.attempt + base } } : f;
  return { ...f, attempt: f.attempt + base };
}

/** A fact about one fan-out item (progress of items is not tracked). */
function itemFact(doc: RunDoc, stage: string, dispatch: number, item: number, f: JobFact, now: number): Transition | null {
  const at = { stage, dispatch, item };
  switch (f.kind) {
    case 'finished':
      return markItem(doc, (d) => itemFinished(d, { ...at, outcome: f.outcome }), now);
    case 'started':
      return markItem(doc, (d) => itemStarted(d, { ...at, agentId: f.agentId, attempt: f.attempt, startedAt: f.startedAt }), now);
    case 'retrying':
      return markItem(doc, (d) => itemRetrying(d, { ...at, attempt: f.attempt, error: f.error }), now);
    case 'progress':
      return null;
  }
}

/**
 * Applies facts in order to a run document; null when none of them changes anything. `item` is
 * the item index for a fan-out item's job.
 */
export function applyFacts(doc: RunDoc, stage: string, dispatch: number, jobFacts: JobFact[], now: number, item: number | null = null): Transition | null {
  let cur = null as Transition | null;
  for (const f of jobFacts.map((jf) => (item === null ? inStageTerms(doc, stage, dispatch, jf) : jf))) {
    const base: RunDoc = cur?.doc ?? doc;
    let t: Transition | null;
    if (item !== null) {
      t = itemFact(base, stage, dispatch, item, f, now);
      if (t) cur = { doc: t.doc, events: [...(cur?.events ?? []), ...t.events] };
      continue;
    }
    switch (f.kind) {
      case 'finished':
        t = markFinished(base, { stage, dispatch, outcome: f.outcome }, now);
        break;
      case 'started':
        t = markStarted(base, { stage, dispatch, agentId: f.agentId, attempt: f.attempt, startedAt: f.startedAt }, now);
        break;
      case 'retrying':
        t = markRetrying(base, { stage, dispatch, attempt: f.attempt, error: f.error }, now);
        break;
      case 'progress':
        t = markProgress(base, { stage, dispatch, attempt: f.attempt, progress: f.progress }, now);
        break;
    }
    if (t) cur = { doc: t.doc, events: [...(cur?.events ?? []), ...t.events] };
  }
  return cur;
}
