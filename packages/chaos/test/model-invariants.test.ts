import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../src/ledger.js';
import { blockedSpans, overlaps } from '../src/model/invariants.js';
import type { RunTrace } from '../src/model/trace.js';

const entry = (runId: string, stage: string, agentId: string, pid: number, startedAt: string, at?: string): LedgerEntry => ({
  runId,
  stage,
  attempt: 1,
  jobId: `${runId}.${stage}.1`,
  agentId,
  pid,
  startedAt: `2026-12-03T18:12:${startedAt}Z`,
  at: `2026-12-03T18:12:${at ?? startedAt}Z`,
  ...(at ? {} : { phase: 'start' as const }),
});

const trace = (id: string, blocking: [string, number][]): RunTrace => ({ id, maxAttempts: 2, stages: ['s1', 's2', 's3'], blocking: new Map(blocking), key: null, actions: [] });

// Seed 20261203, sequence 159 of the first 300-sequence run: run A's s2 (575 ms, no block) shared
// agent processes with run B's s2, which blocks the event loop 3438 ms; each of A's executions on
// those processes lost its lock and the next agent's stalled check ran it again (388 ms overlap).
const runA = 'run_A';
const runB = 'run_B';
const starts = [
  entry(runA, 's2', 'noop-145', 442, '20.266'),
  entry(runB, 's2', 'noop-145', 442, '20.374'),
  entry(runA, 's2', 'noop-144', 32700, '24.108'),
  entry(runB, 's2', 'noop-144', 32700, '24.186'),
  entry(runA, 's2', 'noop-143', 32292, '27.308'),
];
const doneA = [
  entry(runA, 's2', 'noop-145', 442, '20.266', '23.927'),
  entry(runA, 's2', 'noop-144', 32700, '24.108', '27.696'),
  entry(runA, 's2', 'noop-143', 32292, '27.308', '27.882'),
];

describe('model invariants: overlapping executions', () => {
  it('a neighbour blocking the same agent process explains the overlap (its lock was lost)', () => {
    const spans = blockedSpans([trace(runA, []), trace(runB, [['s2', 3438]])], starts);
    const o = overlaps(doneA, spans);
    expect(o).toMatchObject({ n: 1, longest: 388, unexplained: 0 });
  });

  it('without a block on either process the same overlap is a violation', () => {
    const spans = blockedSpans([trace(runA, []), trace(runB, [])], starts);
    expect(overlaps(doneA, spans)).toMatchObject({ n: 1, longest: 388, unexplained: 1, longestUnexplained: 388 });
  });

  it('a block on another process explains nothing', () => {
    const elsewhere = starts.map((s) => (s.runId === runB ? { ...s, pid: 1 } : s));
    const spans = blockedSpans([trace(runA, []), trace(runB, [['s2', 3438]])], elsewhere);
    expect(overlaps(doneA, spans).unexplained).toBe(1);
  });
});
