import { PipelineDefinition, type PipelineDefinitionInput } from '@baton/contracts';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../src/engine-error.js';
import { cancel, createRun, markFinished, markProgress, markRetrying, markStarted, pause, resume, retry, type Outcome, type Transition } from '../src/reducer.js';
import type { RunDoc } from '../src/run-doc.js';

const DIAMOND: PipelineDefinitionInput = {
  stages: [
    { name: 'a', agent: 'noop' },
    { name: 'b', agent: 'noop', dependsOn: ['a'] },
    { name: 'c', agent: 'noop', dependsOn: ['a'], onFailure: 'continue' },
    { name: 'd', agent: 'noop', dependsOn: ['b', 'c'] },
  ],
};

function newRun(def: PipelineDefinitionInput = DIAMOND): RunDoc {
  return createRun({
    id: 'run_01M7Y673N5R6MF5373N0YQW6N1',
    pipeline: { name: 'p', version: 1 },
    definition: PipelineDefinition.parse(def),
    input: {},
    labels: {},
    now: 1000,
  }).doc;
}

const ok = (output: unknown = { v: 1 }): Outcome => ({ ok: true, output: output as never, agentId: 'ag', attempt: 1, startedAt: 1000, finishedAt: 2000 });
const bad = (code = 'BOOM'): Outcome => ({ ok: false, error: { code, message: 'x', retryable: false }, agentId: 'ag', attempt: 1, startedAt: 1000, finishedAt: 2000 });
const statuses = (d: RunDoc) => Object.fromEntries(Object.entries(d.stages).map(([n, s]) => [n, s.status]));
const finish = (d: RunDoc, stage: string, outcome: Outcome): Transition => {
  const t = markFinished(d, { stage, dispatch: d.stages[stage]!.dispatch, outcome }, 3000);
  if (!t) throw new Error(`no transition for ${stage}`);
  return t;
};

describe('reducer', () => {
  it('queues roots at creation and fans out after a stage succeeds', () => {
    let d = newRun();
    expect(d.status).toBe('queued');
    expect(statuses(d)).toEqual({ a: 'queued', b: 'pending', c: 'pending', d: 'pending' });
    d = markStarted(d, { stage: 'a', dispatch: 1, agentId: 'ag', attempt: 1, startedAt: 1500 }, 1500)!.doc;
    expect(d.status).toBe('running');
    const t = finish(d, 'a', ok());
    expect(statuses(t.doc)).toEqual({ a: 'succeeded', b: 'queued', c: 'queued', d: 'pending' });
    expect(t.events.map((e) => e.type)).toEqual(['stage.succeeded', 'stage.queued', 'stage.queued']);
  });

  it('ignores a duplicate completion and one for a superseded dispatch', () => {
    const d = finish(newRun(), 'a', ok()).doc;
    expect(markFinished(d, { stage: 'a', dispatch: 1, outcome: ok() }, 4000)).toBeNull();
    expect(markFinished(d, { stage: 'b', dispatch: 2, outcome: ok() }, 4000)).toBeNull();
    expect(markStarted(d, { stage: 'a', dispatch: 1, agentId: 'x', attempt: 2, startedAt: 1 }, 4000)).toBeNull();
  });

  it('tolerates a failure marked continue, and fails the run on a fail-run stage', () => {
    let d = finish(newRun(), 'a', ok()).doc;
    d = finish(d, 'c', bad()).doc;
    expect(d.status).toBe('running');
    expect(statuses(d).c).toBe('failed');
    d = finish(d, 'b', ok()).doc;
    expect(statuses(d).d).toBe('queued');
    const done = finish(d, 'd', ok()).doc;
    expect(done.status).toBe('succeeded');

    const failed = finish(finish(newRun(), 'a', ok()).doc, 'b', bad('E_B'));
    expect(failed.doc.status).toBe('failed');
    expect(failed.doc.error).toMatchObject({ code: 'E_B', details: { stage: 'b' } });
    expect(statuses(failed.doc)).toEqual({ a: 'succeeded', b: 'failed', c: 'cancelled', d: 'skipped' });
  });

  it('cancels, and refuses to cancel a finished run', () => {
    const t = cancel(newRun(), 'no longer needed', 2000);
    expect(t.doc.status).toBe('cancelled');
    expect(statuses(t.doc)).toEqual({ a: 'cancelled', b: 'cancelled', c: 'cancelled', d: 'cancelled' });
    expect(() => cancel(t.doc, null, 3000)).toThrow(EngineError);
  });

  it('does not queue new stages while paused and catches up on resume', () => {
    let d = pause(newRun(), 1500).doc;
    d = finish(d, 'a', ok()).doc;
    expect(d.status).toBe('paused');
    expect(statuses(d)).toEqual({ a: 'succeeded', b: 'pending', c: 'pending', d: 'pending' });
    d = resume(d, 4000).doc;
    expect(statuses(d)).toEqual({ a: 'succeeded', b: 'queued', c: 'queued', d: 'pending' });
  });

  it('retries from a stage with a new dispatch, keeping upstream outputs', () => {
    let d = finish(newRun(), 'a', ok({ keep: true })).doc;
    d = finish(d, 'b', bad()).doc;
    expect(d.status).toBe('failed');
    const t = retry(d, 'b', 5000);
    expect(t.doc.status).toBe('running');
    expect(statuses(t.doc)).toEqual({ a: 'succeeded', b: 'queued', c: 'queued', d: 'pending' });
    expect(t.doc.stages.a!.output).toEqual({ keep: true });
    expect(t.doc.stages.b!.dispatch).toBe(2);
    expect(() => retry(t.doc, undefined, 6000)).toThrow(/cannot retry/);
    expect(() => retry(d, 'zzz', 6000)).toThrow(/no stage "zzz"/);
  });
  it('records every retry once, even when the orchestrator never saw the job waiting to retry', () => {
    const retries = (t: Transition) => t.events.filter((e) => e.type === 'stage.retrying').map((e) => (e as { attempt: number }).attempt);
    // Seen: started 1, retrying 1, started 2, finished 2 -> one retry event in all.
    let d = markStarted(newRun(), { stage: 'a', dispatch: 1, agentId: 'ag', attempt: 1, startedAt: 1 }, 1)!.doc;
    const seen = markRetrying(d, { stage: 'a', dispatch: 1, attempt: 1, error: 'boom' }, 2)!;
    expect(retries(seen)).toEqual([1]);
    const started2 = markStarted(seen.doc, { stage: 'a', dispatch: 1, agentId: 'ag', attempt: 2, startedAt: 3 }, 3)!;
    expect(retries(started2)).toEqual([]);
    expect(retries(finish(started2.doc, 'a', { ...ok(), attempt: 2 }))).toEqual([]);
    // Unseen: the run goes from attempt 1 running straight to attempt 3 finished.
    d = markStarted(newRun(), { stage: 'a', dispatch: 1, agentId: 'ag', attempt: 1, startedAt: 1 }, 1)!.doc;
    expect(retries(finish(d, 'a', { ...ok(), attempt: 3 }))).toEqual([1, 2]);
    // Unseen from the very start: queued, then attempt 2 is the first thing observed.
    expect(retries(markStarted(newRun(), { stage: 'a', dispatch: 1, agentId: 'ag', attempt: 2, startedAt: 1 }, 1)!)).toEqual([1]);
    // Unseen until the second retry: attempt 1 running, then the job is seen waiting for attempt 3.
    d = markStarted(newRun(), { stage: 'a', dispatch: 1, agentId: 'ag', attempt: 1, startedAt: 1 }, 1)!.doc;
    expect(retries(markRetrying(d, { stage: 'a', dispatch: 1, attempt: 2, error: 'boom' }, 2)!)).toEqual([1, 2]);
  });
});

describe('reducer purity', () => {
  /** Freezes a value and everything inside it: any change in place then throws (modules are strict). */
  function deepFreeze<T>(v: T): T {
    if (v !== null && typeof v === 'object') {
      for (const x of Object.values(v)) deepFreeze(x);
      Object.freeze(v);
    }
    return v;
  }

  it('never changes the document it was given, at any depth (drafts copy only two levels)', () => {
    const before = (d: RunDoc) => JSON.stringify(d);
    const steps: [string, (d: RunDoc) => Transition | null][] = [
      ['start a', (d) => markStarted(d, { stage: 'a', dispatch: 1, agentId: 'ag', attempt: 1, startedAt: 1500 }, 1500)],
      ['progress a', (d) => markProgress(d, { stage: 'a', dispatch: 1, attempt: 1, progress: { percent: 50 } }, 1600)],
      ['retry a', (d) => markRetrying(d, { stage: 'a', dispatch: 1, attempt: 1, error: 'x' }, 1700)],
      ['finish a', (d) => markFinished(d, { stage: 'a', dispatch: 1, outcome: ok({ nested: { v: [1, 2] } }) }, 2000)],
      ['fail c', (d) => markFinished(d, { stage: 'c', dispatch: 1, outcome: bad() }, 2100)],
      ['pause', (d) => pause(d, 2200)],
      ['resume', (d) => resume(d, 2300)],
      ['cancel', (d) => cancel(d, 'enough', 2400)],
      ['retry from b', (d) => retry(d, 'b', 2500)],
    ];
    let d = newRun();
    for (const [what, step] of steps) {
      const frozen = deepFreeze(d);
      const text = before(frozen);
      const t = step(frozen);
      expect(before(frozen), what).toBe(text);
      if (t) d = t.doc;
    }
    expect(d.status).not.toBe('cancelled'); // the steps really ran: the last one revived the cancelled run
  });
});
