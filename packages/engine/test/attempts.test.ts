import { PipelineDefinition, type PipelineDefinitionInput, type RunEvent } from '@baton/contracts';
import { describe, expect, it } from 'vitest';
import { applyFacts, type JobFact } from '../src/job-facts.js';
import { createRun, markProgress, markRetrying, markStarted, pause, resume, unqueue, type Transition } from '../src/reducer.js';
import type { RunDoc } from '../src/run-doc.js';

/** control/attempt-order.ts and control/pause.ts as the reducer routes to them (issue 13, defects 7 and 8). */
const ONE: PipelineDefinitionInput = { stages: [{ name: 's', agent: 'noop', retry: { maxAttempts: 3 } }] };

function newRun(): RunDoc {
  return createRun({ id: 'run_01M7Y673N5R6MF5373N0YQW6N1', pipeline: { name: 'p', version: 1 }, definition: PipelineDefinition.parse(ONE), input: {}, labels: {}, now: 1000 }).doc;
}
const started = (attempt: number, agentId = 'ag'): JobFact => ({ kind: 'started', agentId, attempt, startedAt: 1500 });
const retrying = (attempt: number): JobFact => ({ kind: 'retrying', attempt, error: 'boom' });
const fold = (d: RunDoc, facts: JobFact[]): Transition | null => applyFacts(d, 's', d.stages.s!.dispatch, facts, 2000);
const retries = (events: RunEvent[]) => events.filter((e) => e.type === 'stage.retrying').map((e) => (e as { attempt: number }).attempt);

describe('attempt order: a fact older than the stage is ignored', () => {
  it('a stale "started" re-applied after its attempt failed and was retried changes nothing', () => {
    const events: RunEvent[] = [];
    let d = newRun();
    for (const facts of [[started(1)], [retrying(1)]]) {
      const t = fold(d, facts)!;
      events.push(...t.events);
      d = t.doc;
    }
    expect(d.stages.s).toMatchObject({ status: 'queued', attempts: 1 });
    // A commit that lost a revision race is recomputed from the facts it read before: attempt 1 running.
    expect(fold(d, [started(1)])).toBeNull();
    expect(fold(d, [started(1, 'another-agent')])).toBeNull();
    const t = fold(d, [started(2)])!;
    events.push(...t.events);
    // One retry event per retry: the counters (baton_stage_retries_total) are derived from them.
    expect(retries(events)).toEqual([1]);
    expect(t.doc.stages.s).toMatchObject({ status: 'running', attempts: 2 });
  });

  it('a stale "retrying" and stale progress are ignored; a newer attempt still applies', () => {
    let d = fold(newRun(), [started(1), retrying(1), started(2)])!.doc;
    expect(markRetrying(d, { stage: 's', dispatch: 1, attempt: 1, error: 'late' }, 3000)).toBeNull();
    expect(markProgress(d, { stage: 's', dispatch: 1, attempt: 1, progress: { percent: 10 } }, 3000)).toBeNull();
    d = markProgress(d, { stage: 's', dispatch: 1, attempt: 2, progress: { percent: 20 } }, 3000)!.doc;
    expect(d.stages.s!.progress).toEqual({ percent: 20 });
    // Attempt 2 restarted by another agent after a stall (same attempt number): the agent is updated.
    expect(markStarted(d, { stage: 's', dispatch: 1, agentId: 'b', attempt: 2, startedAt: 1 }, 3000)!.doc.stages.s!.agentId).toBe('b');
  });
});

describe('pause keeps the attempts used', () => {
  it('a stage taken back in a retry backoff keeps its attempts, and its next job continues the count', () => {
    let d = fold(newRun(), [started(1), retrying(1)])!.doc;
    d = pause(d, 2000).doc;
    d = unqueue(d, { stage: 's', dispatch: 1, attemptsMade: 1 }, 2100)!.doc;
    expect(d.stages.s).toMatchObject({ status: 'pending', attempts: 1 });
    d = resume(d, 2200).doc;
    // Dispatch 2 is a new job (its own attempts start at 1) that has the attempts left.
    expect(d.stages.s).toMatchObject({ status: 'queued', dispatch: 2, attempts: 1, attemptBase: 1 });
    const t = fold(d, [started(1)])!;
    expect(t.doc.stages.s).toMatchObject({ status: 'running', attempts: 2 });
    expect(retries(t.events)).toEqual([]);
    const u = fold(t.doc, [{ kind: 'finished', outcome: { ok: false, error: { code: 'BOOM', message: 'x', retryable: true }, agentId: 'ag', attempt: 2, startedAt: 1, finishedAt: 2 } }])!;
    expect(u.doc.stages.s).toMatchObject({ status: 'failed', attempts: 3 });
    // attempt 2 of the stage (the job's 1st) failed and was retried before anyone saw it
    expect(retries(u.events)).toEqual([2]);
  });

  it('a running stage whose retry was not yet observed: taken back with the retry counted once', () => {
    let d = fold(newRun(), [started(1)])!.doc;
    d = pause(d, 2000).doc;
    const t = unqueue(d, { stage: 's', dispatch: 1, attemptsMade: 1 }, 2100)!;
    expect(retries(t.events)).toEqual([1]);
    expect(t.doc.stages.s).toMatchObject({ status: 'pending', attempts: 1 });
    // The stale retry fact read before the take-back: the stage is no longer live for dispatch 1.
    expect(fold(t.doc, [retrying(1)])).toBeNull();
    d = resume(t.doc, 2200).doc;
    expect(retries(fold(d, [started(1)])!.events)).toEqual([]);
  });

  it('a held job an agent refused while the run is paused takes the stage back; the refused attempt is not counted', () => {
    let d = fold(newRun(), [started(1)])!.doc;
    d = pause(d, 2000).doc;
    // Attempt 1 failed; BullMQ retried at once; the agent that took attempt 2 refused it (held).
    const refused: JobFact = { kind: 'finished', outcome: { ok: false, error: { code: 'CANCELLED', message: 'held', retryable: false }, refused: true, agentId: 'ag', attempt: 2, startedAt: 1, finishedAt: 2 } };
    const t = fold(d, [refused])!;
    expect(t.doc.stages.s).toMatchObject({ status: 'pending', attempts: 1 });
    expect(retries(t.events)).toEqual([1]);
    expect(t.events.map((e) => e.type)).not.toContain('stage.failed');
    // Not paused: a CANCELLED result is a failure as any other.
    const running = fold(newRun(), [started(1)])!.doc;
    expect(fold(running, [refused])!.doc.stages.s!.status).toBe('failed');
  });

  it("a handler's own CANCELLED on a held dispatch is a failure, not a refusal: the stage is not taken back to run again", () => {
    let d = fold(newRun(), [started(1)])!.doc;
    d = pause(d, 2000).doc;
    expect(d.stages.s!.held).toBe(true);
    const own: JobFact = { kind: 'finished', outcome: { ok: false, error: { code: 'CANCELLED', message: 'the handler gave up', retryable: false }, agentId: 'ag', attempt: 1, startedAt: 1, finishedAt: 2 } };
    const t = fold(d, [own])!;
    expect(t.doc.stages.s).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'CANCELLED' } });
    // After the resume too (the dispatch stays held until the stage ends).
    const resumed = resume(d, 2100).doc;
    expect(fold(resumed, [own])!.doc.stages.s).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('a stage taken back before it ever started carries nothing; only a paused run is unqueued', () => {
    const fresh = newRun();
    expect(unqueue(fresh, { stage: 's', dispatch: 1, attemptsMade: 0 }, 2000)).toBeNull();
    let d = pause(fresh, 2000).doc;
    d = unqueue(d, { stage: 's', dispatch: 1, attemptsMade: 0 }, 2100)!.doc;
    d = resume(d, 2200).doc;
    expect(d.stages.s).toMatchObject({ status: 'queued', dispatch: 2, attempts: 0 });
    expect(d.stages.s!.attemptBase).toBeUndefined();
  });
});
