import { PipelineDefinition, validatePipeline, type PipelineDefinitionInput, type JsonValue } from '@baton/contracts';
import { describe, expect, it } from 'vitest';
import { forEachView } from '../src/control/for-each.js';
import { buildEnvelope } from '../src/envelope.js';
import { applyFacts } from '../src/job-facts.js';
import { liveJobs } from '../src/jobs.js';
import { cancel, createRun, markFinished, pause, resume, type Transition } from '../src/reducer.js';
import type { RunDoc } from '../src/run-doc.js';
import { supersededJobs } from '../src/superseded.js';

const ID = 'run_01M7Y673N5R6MF5373N0YQW6N1';

function fanOutDef(forEach: Record<string, unknown> = {}): PipelineDefinitionInput {
  return {
    stages: [
      { name: 'plan', agent: 'noop' },
      {
        name: 'build',
        agent: 'noop',
        dependsOn: ['plan'],
        forEach: { $from: 'stages.plan.output.packages', maxParallel: 2, ...forEach },
        input: { pkg: { $from: 'item.name' }, env: { $from: 'input.env' } },
      },
      { name: 'ship', agent: 'noop', dependsOn: ['build'], input: { built: { $from: 'stages.build.output' } } },
    ],
  };
}

function newRun(def: PipelineDefinitionInput = fanOutDef()): RunDoc {
  return createRun({ id: ID, pipeline: { name: 'p', version: 1 }, definition: PipelineDefinition.parse(def), input: { env: 'prod' }, labels: {}, now: 1000 }).doc;
}

const ok = (output: JsonValue, attempt = 1) => ({ ok: true as const, output, agentId: 'ag', attempt, startedAt: 1500, finishedAt: 2000 });
const bad = (code = 'BOOM', attempt = 1) => ({ ok: false as const, error: { code, message: 'it broke', retryable: false }, agentId: 'ag', attempt, startedAt: 1500, finishedAt: 2000 });

function planned(packages: JsonValue, def?: PipelineDefinitionInput): RunDoc {
  return markFinished(newRun(def), { stage: 'plan', dispatch: 1, outcome: ok({ packages }) }, 2000)!.doc;
}

function finishItem(doc: RunDoc, item: number, outcome: ReturnType<typeof ok> | ReturnType<typeof bad>): Transition | null {
  return applyFacts(doc, 'build', 1, [{ kind: 'finished', outcome }], 3000, item);
}

const items = (doc: RunDoc) => doc.stages.build!.fanOut!.s;
const jobIds = (doc: RunDoc) => liveJobs(doc).map((j) => j.jobId);

describe('fan-out stages (forEach)', () => {
  it('resolve the list when ready and queue at most maxParallel item jobs', () => {
    const doc = planned([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    expect(doc.stages.build!.status).toBe('queued');
    expect(items(doc)).toBe('qqp');
    expect(jobIds(doc)).toEqual([`${ID}.build.1.0`, `${ID}.build.1.1`]);
  });

  it('give each item job its item, also through $from "item.<path>" in the input', () => {
    const doc = planned([{ name: 'a' }, { name: 'b' }]);
    const built = buildEnvelope(doc, 'build', 1);
    expect(built).toMatchObject({ envelope: { item: { index: 1, value: { name: 'b' } }, input: { pkg: 'b', env: 'prod' } } });
  });

  it('queue the next item as one finishes, and fan in: the output is the item outputs in order', () => {
    let doc = planned([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    doc = finishItem(doc, 1, ok('B'))!.doc;
    expect(items(doc)).toBe('qsq');
    expect(doc.stages.ship!.status).toBe('pending');
    doc = finishItem(doc, 2, ok('C'))!.doc;
    expect(doc.stages.ship!.status).toBe('pending');
    const t = finishItem(doc, 0, ok('A'))!;
    expect(t.doc.stages.build).toMatchObject({ status: 'succeeded', output: ['A', 'B', 'C'] });
    expect(t.doc.stages.build!.fanOut!.out).toBeNull(); // the outputs are kept once, as the stage output
    expect(t.doc.stages.ship!.status).toBe('queued');
    expect(buildEnvelope(t.doc, 'ship')).toMatchObject({ envelope: { input: { built: ['A', 'B', 'C'] } } });
    expect(t.events.map((e) => e.type)).toEqual(['stage.item.succeeded', 'stage.succeeded', 'stage.queued']);
  });

  it('apply each item result exactly once (a duplicate or a stale dispatch changes nothing)', () => {
    let doc = planned([{ name: 'a' }, { name: 'b' }]);
    doc = finishItem(doc, 0, ok('A'))!.doc;
    expect(finishItem(doc, 0, ok('A again'))).toBeNull();
    expect(applyFacts(doc, 'build', 2, [{ kind: 'finished', outcome: ok('X') }], 3000, 1)).toBeNull();
    expect(applyFacts(doc, 'build', 1, [{ kind: 'finished', outcome: ok('X') }], 3000, 7)).toBeNull();
  });

  it('track per-item starts and retries, and the stage starts with its first item', () => {
    let doc = planned([{ name: 'a' }, { name: 'b' }]);
    const started = applyFacts(doc, 'build', 1, [{ kind: 'started', agentId: 'ag', attempt: 1, startedAt: 2500 }], 2500, 0)!;
    doc = started.doc;
    expect(doc.stages.build!.status).toBe('running');
    expect(items(doc)).toBe('rq');
    expect(started.events.map((e) => e.type)).toEqual(['stage.item.started', 'stage.started']);
    expect(applyFacts(doc, 'build', 1, [{ kind: 'started', agentId: 'ag', attempt: 1, startedAt: 2500 }], 2600, 0)).toBeNull();
    const retried = applyFacts(doc, 'build', 1, [{ kind: 'retrying', attempt: 1, error: 'x' }], 2700, 0)!;
    expect(items(retried.doc)).toBe('qq');
    // The third attempt finishing proves the second failed too: that retry is counted once.
    const done = finishItem(retried.doc, 0, ok('A', 3))!;
    expect(done.events.filter((e) => e.type === 'stage.item.retrying').map((e) => (e as { attempt: number }).attempt)).toEqual([2]);
    expect(done.doc.stages.build!.fanOut!.a[0]).toBe(3);
  });

  it('fail-run: an item failing fails the stage (and run) and cancels the other items, superseding their jobs', () => {
    const doc = planned([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const t = finishItem(doc, 1, bad())!;
    expect(items(t.doc)).toBe('cfc');
    expect(t.doc.stages.build).toMatchObject({ status: 'failed', error: { code: 'BOOM', details: { item: 1 } } });
    expect(t.doc.status).toBe('failed');
    expect(supersededJobs(doc, t.doc)).toEqual([`noop|${ID}.build.1.0`]);
    expect(forEachView(t.doc, 'build')).toMatchObject({ counts: { failed: 1, cancelled: 2 }, failures: [{ item: 1, code: 'BOOM' }] });
  });

  it('continue: other items finish, failures are collected and the stage succeeds with null in their places', () => {
    let doc = planned([{ name: 'a' }, { name: 'b' }], fanOutDef({ onItemFailure: 'continue' }));
    doc = finishItem(doc, 0, bad('NOPE'))!.doc;
    expect(doc.stages.build!.status).toBe('running');
    doc = finishItem(doc, 1, ok('B'))!.doc;
    expect(doc.stages.build).toMatchObject({ status: 'succeeded', output: [null, 'B'] });
    expect(forEachView(doc, 'build')!.failures).toEqual([{ item: 0, code: 'NOPE', message: 'it broke' }]);
  });

  it('an empty list succeeds at once with [] and the dependents run', () => {
    const doc = planned([]);
    expect(doc.stages.build).toMatchObject({ status: 'succeeded', output: [] });
    expect(doc.stages.ship!.status).toBe('queued');
  });

  it('a list over maxItems, or not a list, fails the stage with a clear error and runs nothing', () => {
    const tooMany = planned([1, 2, 3], fanOutDef({ maxItems: 2 }));
    expect(tooMany.stages.build!.error).toMatchObject({ code: 'FOR_EACH_TOO_MANY_ITEMS', message: expect.stringContaining('3 items; the stage allows at most 2') });
    expect(tooMany.status).toBe('failed');
    expect(planned('nope').stages.build!.error!.code).toBe('FOR_EACH_NOT_A_LIST');
  });

  it('cancelling the run cancels its items and supersedes their jobs', () => {
    const doc = planned([1, 2, 3]);
    const t = cancel(doc, 'stop', 4000);
    expect(items(t.doc)).toBe('ccc');
    expect(supersededJobs(doc, t.doc).sort()).toEqual([`noop|${ID}.build.1.0`, `noop|${ID}.build.1.1`]);
  });

  it('pause stops new items; resume queues them again', () => {
    let doc = planned([1, 2, 3]);
    doc = pause(doc, 2500).doc;
    doc = finishItem(doc, 0, ok('A'))!.doc;
    expect(items(doc)).toBe('sqp');
    doc = resume(doc, 2600).doc;
    expect(items(doc)).toBe('sqq');
  });

  it('keeps per-item state compact: 200 items add little to the run document', () => {
    const list = Array.from({ length: 200 }, (_, i) => ({ name: `pkg-${i}` }));
    let doc = planned(list, fanOutDef({ maxParallel: 200 }));
    const base = JSON.stringify(doc).length;
    for (let i = 0; i < 199; i++) doc = finishItem(doc, i, ok({ ok: true }))!.doc;
    const perItem = (JSON.stringify(doc).length - base) / 199;
    expect(perItem).toBeLessThan(20); // state char + attempt count + a tiny output
  });
});

describe('fan-out validation', () => {
  const known = new Set(['noop']);
  it('rejects a reference to the item outside a fan-out, with its path', () => {
    const def = PipelineDefinition.parse({ stages: [{ name: 'a', agent: 'noop', input: { x: { deep: { $from: 'item.name' } } } }] });
    expect(validatePipeline(def, known)).toEqual([{ path: ['stages', 0, 'input', 'x', 'deep', '$from'], message: expect.stringContaining('has no forEach') }]);
  });
  it('checks forEach.$from like any reference (upstream only, not the item)', () => {
    const def = PipelineDefinition.parse({ stages: [{ name: 'a', agent: 'noop', forEach: { $from: 'stages.b.output' } }, { name: 'b', agent: 'noop' }] });
    expect(validatePipeline(def, known)).toEqual([{ path: ['stages', 0, 'forEach', '$from'], message: expect.stringContaining('does not depend on') }]);
    const self = PipelineDefinition.parse({ stages: [{ name: 'a', agent: 'noop', forEach: { $from: 'item' } }] });
    expect(validatePipeline(self, known)[0]!.path).toEqual(['stages', 0, 'forEach', '$from']);
  });
});
