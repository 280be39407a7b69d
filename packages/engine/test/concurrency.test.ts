import { PipelineDefinition, validatePipeline, type PipelineDefinitionInput } from '@baton/contracts';
import { describe, expect, it } from 'vitest';
import { RUN_SCOPE, resolveKey, slotWaitingReason } from '../src/control/concurrency.js';
import { cancel, createRun, grantSlot, markFinished, noteSlotHolder } from '../src/reducer.js';
import type { RunDoc } from '../src/run-doc.js';
import { OpList } from '../src/store/ops.js';
import { slotWrites } from '../src/store/slot-writes.js';
import { keys as createKeys } from '@baton/contracts';

const ID = 'run_01M7Y673N5R6MF5373N0YQW6N1';
const ok = { ok: true as const, output: { v: 1 }, agentId: 'ag', attempt: 1, startedAt: 1500, finishedAt: 2000 };

function newRun(def: PipelineDefinitionInput, input: Record<string, string> = { app: 'shop' }): RunDoc {
  return createRun({ id: ID, pipeline: { name: 'p', version: 1 }, definition: PipelineDefinition.parse(def), input, labels: {}, now: 1000 }).doc;
}

const STAGE_KEY: PipelineDefinitionInput = {
  stages: [
    { name: 'build', agent: 'noop' },
    { name: 'deploy', agent: 'noop', dependsOn: ['build'], concurrency: { key: 'deploy-${input.app}' } },
  ],
};
const RUN_KEY: PipelineDefinitionInput = { concurrency: { key: { $from: 'input.app' }, limit: 2 }, stages: [{ name: 'a', agent: 'noop' }, { name: 'b', agent: 'noop' }] };

const writes = (prev: RunDoc | null, next: RunDoc) => {
  const ops = new OpList(['run']);
  slotWrites(ops, createKeys('t'), prev, next);
  const key = (i: unknown) => ops.keys[(i as number) - 1];
  return ops.ops.map((op) => {
    const [name, k, ...rest] = op as [string, number, ...unknown[]];
    if (name === 'take' || name === 'release') return [name, key(k), key(rest[0]), ...rest.slice(1)];
    return [name, key(k), ...rest];
  });
};

describe('concurrency keys', () => {
  it('a keyed stage waits for its slot when ready, and the commit joins the key waiters', () => {
    const before = newRun(STAGE_KEY);
    const t = markFinished(before, { stage: 'build', dispatch: 1, outcome: ok }, 2000)!;
    expect(t.doc.stages.deploy!.status).toBe('waiting');
    expect(t.doc.status).toBe('waiting');
    expect(t.doc.slots).toEqual({ deploy: { key: 'deploy-shop', limit: 1, status: 'waiting', heldBy: null, stages: ['deploy'] } });
    expect(writes(before, t.doc)).toEqual([
      ['zadd', '{t}:cc:waiters:deploy-shop', 1000, `${ID}|deploy`],
      ['zadd', '{t}:cc:keys', 0, 'deploy-shop'],
    ]);
    expect(slotWaitingReason(t.doc, 'deploy')).toBe('waiting for concurrency key "deploy-shop" (limit 1)');
  });

  it('a grant queues the stage and its commit takes the slot; finishing the stage releases it in that commit', () => {
    const waiting = markFinished(newRun(STAGE_KEY), { stage: 'build', dispatch: 1, outcome: ok }, 2000)!.doc;
    const granted = grantSlot(waiting, 'deploy', 2100)!;
    expect(granted.doc.stages.deploy!.status).toBe('queued');
    expect(granted.doc.status).toBe('running');
    expect(writes(waiting, granted.doc)).toEqual([['take', '{t}:cc:holders:deploy-shop', '{t}:cc:waiters:deploy-shop', 1, `${ID}|deploy`, 2100]]);
    expect(grantSlot(granted.doc, 'deploy', 2200)).toBeNull();
    const done = markFinished(granted.doc, { stage: 'deploy', dispatch: 1, outcome: ok }, 3000)!;
    expect(done.doc.status).toBe('succeeded');
    expect(done.doc.slots).toEqual({});
    expect(writes(granted.doc, done.doc)).toEqual([['release', '{t}:cc:holders:deploy-shop', '{t}:cc:waiters:deploy-shop', `${ID}|deploy`]]);
  });

  it('the waiting reason names the holder once a grant was refused', () => {
    const waiting = markFinished(newRun(STAGE_KEY), { stage: 'build', dispatch: 1, outcome: ok }, 2000)!.doc;
    const noted = noteSlotHolder(waiting, 'deploy', 'run_01M7Y673N5R6MF5373N0YQW6N9|deploy', 2100)!;
    expect(slotWaitingReason(noted.doc, 'deploy')).toBe('waiting for concurrency key "deploy-shop" (limit 1), held by run run_01M7Y673N5R6MF5373N0YQW6N9');
    expect(noteSlotHolder(noted.doc, 'deploy', 'run_01M7Y673N5R6MF5373N0YQW6N9|deploy', 2200)).toBeNull();
  });

  it('a pipeline key gates every stage of the run and is held until the run ends', () => {
    const run = newRun(RUN_KEY);
    expect(run.slots![RUN_SCOPE]).toMatchObject({ key: 'shop', limit: 2, status: 'waiting', stages: ['a', 'b'] });
    expect(Object.values(run.stages).map((s) => s.status)).toEqual(['waiting', 'waiting']);
    let doc = grantSlot(run, RUN_SCOPE, 1100)!.doc;
    expect(Object.values(doc.stages).map((s) => s.status)).toEqual(['queued', 'queued']);
    doc = markFinished(doc, { stage: 'a', dispatch: 1, outcome: ok }, 2000)!.doc;
    expect(doc.slots![RUN_SCOPE]!.status).toBe('held');
    doc = markFinished(doc, { stage: 'b', dispatch: 1, outcome: ok }, 2100)!.doc;
    expect(doc.status).toBe('succeeded');
    expect(doc.slots).toEqual({});
  });

  it('cancelling a waiting run leaves the line (released in the cancel commit)', () => {
    const run = newRun(RUN_KEY);
    const t = cancel(run, 'stop', 1500);
    expect(t.doc.slots).toEqual({});
    expect(writes(run, t.doc)).toEqual([['release', '{t}:cc:holders:shop', '{t}:cc:waiters:shop', `${ID}|$run`]]);
    expect(grantSlot(t.doc, RUN_SCOPE, 1600)).toBeNull();
  });

  it('a key that does not resolve fails the stage with CONCURRENCY_KEY_UNRESOLVED', () => {
    const run = newRun(RUN_KEY, {});
    expect(run.status).toBe('failed');
    expect(run.stages.a!.error!.code).toBe('CONCURRENCY_KEY_UNRESOLVED');
    expect(resolveKey(newRun(RUN_KEY), { key: 'x ${input.app}', limit: 1, onConflict: 'queue' })).toMatchObject({ error: { code: 'CONCURRENCY_KEY_UNRESOLVED' } });
  });

  it('validation: a pipeline key may only use the input; a stage key only upstream stages', () => {
    const known = new Set(['noop']);
    const bad = PipelineDefinition.parse({ concurrency: { key: 'k-${stages.a.output.x}' }, stages: [{ name: 'a', agent: 'noop' }, { name: 'b', agent: 'noop', concurrency: { key: { $from: 'stages.c.output' } } }, { name: 'c', agent: 'noop' }] });
    expect(validatePipeline(bad, known)).toEqual([
      { path: ['stages', 1, 'concurrency', 'key', '$from'], message: expect.stringContaining('does not depend on') },
      { path: ['concurrency', 'key'], message: expect.stringContaining('only use the run input') },
    ]);
  });
});
