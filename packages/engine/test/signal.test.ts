import { PipelineDefinition, validatePipeline, type PipelineDefinitionInput } from '@baton/contracts';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../src/engine-error.js';
import { cancel, deliverSignal, expireApprovals, retry } from '../src/reducer.js';
import { codeOf, finish, newRun, statuses } from './helpers.js';

const HOOKED: PipelineDefinitionInput = {
  stages: [
    { name: 'build', agent: 'noop' },
    {
      name: 'ci-done',
      dependsOn: ['build'],
      waitFor: { signal: 'ci.finished', timeoutMs: 60_000, schema: { type: 'object', properties: { sha: { type: 'string' } }, required: ['sha'] } },
    },
    { name: 'deploy', agent: 'noop', dependsOn: ['ci-done'], input: { sha: { $from: 'stages.ci-done.output.sha' } } },
  ],
};

describe('signal stages (control/signal.ts)', () => {
  it('wait once their dependencies are done, and complete with the payload as output', () => {
    const waiting = finish(newRun(HOOKED), 'build');
    expect(statuses(waiting)).toEqual({ build: 'succeeded', 'ci-done': 'waiting', deploy: 'pending' });
    expect(waiting.status).toBe('waiting');
    const t = deliverSignal(waiting, { name: 'ci.finished', payload: { sha: 'abc' } }, 3000);
    expect(t.delivered).toEqual(['ci-done']);
    expect(t.buffered).toBe(false);
    expect(t.doc.stages['ci-done']).toMatchObject({ status: 'succeeded', output: { sha: 'abc' } });
    expect(statuses(t.doc).deploy).toBe('queued');
    expect(t.doc.status).toBe('running');
    expect(t.events.map((e) => e.type)).toEqual(['stage.succeeded', 'run.signalled', 'stage.queued']);
    expect(waiting.stages['ci-done']!.status).toBe('waiting'); // the input document is untouched
  });

  it('reject a payload that does not match the schema, with its path', () => {
    const waiting = finish(newRun(HOOKED), 'build');
    try {
      deliverSignal(waiting, { name: 'ci.finished', payload: { sha: 42 } }, 3000);
      throw new Error('expected a rejection');
    } catch (e: unknown) {
      expect(e).toBeInstanceOf(EngineError);
      expect((e as EngineError).code).toBe('INVALID_REQUEST');
      expect((e as EngineError).issues?.[0]?.path).toEqual(['payload', 'sha']);
    }
  });

  it('keep a signal sent before the stage waits, and consume it when the stage is ready', () => {
    const early = deliverSignal(newRun(HOOKED), { name: 'ci.finished', payload: { sha: 'early' } }, 1500);
    expect(early.buffered).toBe(true);
    expect(early.doc.signals?.['ci.finished']?.payload).toEqual({ sha: 'early' });
    expect(statuses(early.doc)['ci-done']).toBe('pending');
    const after = finish(early.doc, 'build');
    expect(after.stages['ci-done']).toMatchObject({ status: 'succeeded', output: { sha: 'early' } });
    expect(after.signals?.['ci.finished']).toBeUndefined();
    expect(statuses(after).deploy).toBe('queued');
  });

  it('refuse unknown signals (400) and signals nobody waits for any more (409)', () => {
    const waiting = finish(newRun(HOOKED), 'build');
    expect(codeOf(() => deliverSignal(waiting, { name: 'nope', payload: null }, 3000))).toBe('INVALID_REQUEST');
    const done = deliverSignal(waiting, { name: 'ci.finished', payload: { sha: 'a' } }, 3000).doc;
    expect(codeOf(() => deliverSignal(done, { name: 'ci.finished', payload: { sha: 'b' } }, 3100))).toBe('INVALID_STATE');
    const cancelled = cancel(waiting, null, 3000).doc;
    expect(cancelled.stages['ci-done']!.status).toBe('cancelled');
    expect(codeOf(() => deliverSignal(cancelled, { name: 'ci.finished', payload: { sha: 'a' } }, 3100))).toBe('INVALID_STATE');
  });

  it('time out from the expiry pass with SIGNAL_TIMEOUT, and wait again after a retry', () => {
    const waiting = finish(newRun(HOOKED), 'build', {}, 2000);
    expect(expireApprovals(waiting, 2000 + 59_999)).toBeNull();
    const t = expireApprovals(waiting, 2000 + 60_000)!;
    expect(t.doc.stages['ci-done']!.error).toMatchObject({ code: 'SIGNAL_TIMEOUT' });
    expect(t.doc.status).toBe('failed');
    expect(statuses(t.doc).deploy).toBe('skipped');
    const again = retry(t.doc, undefined, 70_000).doc;
    expect(statuses(again)['ci-done']).toBe('waiting');
    expect(again.stages['ci-done']!.queuedAt).toBe(70_000);
  });

  it('are validated: no agent, not both approval and waitFor, a schema zod can read', () => {
    const check = (stage: Record<string, unknown>) => validatePipeline(PipelineDefinition.parse({ stages: [stage] }), new Set(['noop']));
    expect(check({ name: 'w', waitFor: { signal: 'go' } })).toEqual([]);
    expect(check({ name: 'w', agent: 'noop', waitFor: { signal: 'go' } })[0]?.path).toEqual(['stages', 0, 'waitFor']);
    expect(check({ name: 'w', approval: {}, waitFor: { signal: 'go' } })[0]?.path).toEqual(['stages', 0, 'waitFor']);
    expect(check({ name: 'w', waitFor: { signal: 'go', schema: { type: 'banana' } } })[0]?.path).toEqual(['stages', 0, 'waitFor', 'schema']);
  });
});
