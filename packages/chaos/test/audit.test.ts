import type { RunEvent } from '@baton/contracts';
import { describe, expect, it } from 'vitest';
import { auditHistory } from '../src/audit.js';
import { Ledger } from '../src/ledger.js';
import { Random } from '../src/random.js';
import { percentile } from '../src/stats.js';

const RUN = 'run_01M7Y673N5R6MF5373N0YQW6N1';
const at = '2026-01-01T00:00:00.000Z';
const base = { runId: RUN, at };
const queued = (stage: string, dispatch: number): RunEvent => ({ ...base, type: 'stage.queued', stage, agent: 'noop', dispatch });
const succeeded = (stage: string): RunEvent => ({ ...base, type: 'stage.succeeded', stage, output: null, durationMs: 1 });

describe('the audit of a run history', () => {
  it('accepts one commit per stage dispatch, including a stage committed again after a retry', () => {
    const h = auditHistory(RUN, [
      { ...base, type: 'run.created', pipeline: 'p', version: null },
      queued('a', 1),
      { ...base, type: 'stage.started', stage: 'a', agentId: 'x', attempt: 1 },
      { ...base, type: 'stage.started', stage: 'a', agentId: 'y', attempt: 1 }, // re-run after a kill: fine
      succeeded('a'),
      queued('a', 2),
      succeeded('a'),
      { ...base, type: 'run.succeeded' },
    ]);
    expect(h).toMatchObject({ commits: 2, doubleCommits: [], duplicateTransitions: [] });
    expect([...h.committed]).toEqual(['a']);
  });

  it('flags a stage committed twice for one dispatch, and a once-only event seen twice', () => {
    const h = auditHistory(RUN, [queued('a', 1), succeeded('a'), { ...base, type: 'stage.failed', stage: 'a', error: { code: 'X', message: 'x', retryable: false } }, queued('b', 1), queued('b', 1)]);
    expect(h.doubleCommits).toEqual([`${RUN} a#1 committed 2 times`]);
    expect(h.duplicateTransitions).toEqual([`${RUN} stage.queued b#1 2 times`]);
  });

  it('accepts a run that fails, or a never-dispatched stage cancelled, again after a retry (the model test\'s shrunk sequences)', () => {
    const failed: RunEvent = { ...base, type: 'run.failed', error: { code: 'X', message: 'x', retryable: false } };
    const cancelled: RunEvent = { ...base, type: 'stage.cancelled', stage: 'b', reason: null } as RunEvent;
    const retried: RunEvent = { ...base, type: 'run.retried', fromStage: 'a', stages: ['a', 'b'] };
    const h = auditHistory(RUN, [cancelled, failed, retried, cancelled, failed]);
    expect(h.duplicateTransitions).toEqual([]);
    // Without a retry in between, still flagged.
    expect(auditHistory(RUN, [cancelled, failed, cancelled, failed]).duplicateTransitions).toEqual([`${RUN} stage.cancelled b#0 2 times`, `${RUN} run.failed 2 times`]);
  });
});

describe('the ledger', () => {
  it('counts extra executions of the same (run, stage, attempt) only', () => {
    const e = (stage: string, attempt: number, agentId: string) => ({ runId: RUN, stage, attempt, jobId: `${RUN}.${stage}.1`, agentId, pid: 1, at });
    const ledger = new Ledger([e('a', 1, 'x'), e('a', 1, 'y'), e('a', 1, 'z'), e('a', 2, 'x'), e('b', 1, 'x')]);
    expect(ledger.reexecutions()).toBe(2);
    expect(ledger.reexecutions(new Set(['run_other']))).toBe(0);
    expect(ledger.of(RUN, 'a').map((x) => x.agentId)).toEqual(['x', 'y', 'z', 'x']);
  });

  it('does not count the items of a fan-out stage (distinct jobs of one attempt) as re-executions', () => {
    const item = (i: number, agentId: string) => ({ runId: RUN, stage: 'build', attempt: 1, jobId: `${RUN}.build.1.${i}`, agentId, pid: 1, at });
    expect(new Ledger([item(0, 'x'), item(1, 'x'), item(2, 'y')]).reexecutions()).toBe(0);
    expect(new Ledger([item(0, 'x'), item(1, 'x'), item(1, 'y')]).reexecutions()).toBe(1);
  });
});

describe('figures and seeds', () => {
  it('takes nearest-rank percentiles', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(v, 50), percentile(v, 99), percentile(v, 100), percentile([], 50)]).toEqual([50, 99, 100, null]);
  });

  it('replays the same choices from the same seed', () => {
    const draw = (seed: number) => {
      const r = new Random(seed).fork('agent-kill');
      return Array.from({ length: 5 }, () => r.int(300, 900));
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });
});
