import { durationBucket, OVERVIEW_DURATION_BOUNDS } from '@baton/contracts';
import { describe, expect, it } from 'vitest';
import { overviewSeries } from '../src/overview/overview-series.js';

describe('overview series', () => {
  it('folds the minute hashes into one entry per minute, gaps for minutes without a sample', () => {
    const m0 = 29_000_000;
    const from = m0 * 60_000;
    const to = from + 3 * 60_000;
    const b = durationBucket(0.3);
    const hashes: Record<string, string>[] = [
      { 'r:succeeded': '2', 'r:failed': '1', [`s:noop:${b}`]: '3', 'g:at': String(from), 'g:q:noop': '4', 'g:o:noop': '2500', 'g:a:noop': '2' },
      {},
      { 'r:cancelled': '1', [`s:noop:${b}`]: '1', [`s:build:${OVERVIEW_DURATION_BOUNDS.length}`]: '1', 'x:junk': '9', 's:noop:99': '5' },
    ];
    const o = overviewSeries(from, to, [m0, m0 + 1, m0 + 2], hashes, new Map([['noop', { waiting: 1, oldestWaitingMs: 1500, alive: 3 }]]));
    expect(o.minutes).toEqual([m0 * 60, (m0 + 1) * 60, (m0 + 2) * 60]);
    expect(o.runs).toEqual({ succeeded: [2, 0, 0], failed: [1, 0, 0], cancelled: [0, 0, 1], total: { succeeded: 2, failed: 1, cancelled: 1 } });
    expect(o.stages.map((s) => s.agent)).toEqual(['build', 'noop']);
    const noop = o.stages.find((s) => s.agent === 'noop')!;
    expect(noop.finished).toEqual([3, 0, 1]);
    expect(noop.total.finished).toBe(4);
    expect(noop.p50[1]).toBeNull();
    expect(noop.total.p50).toBeGreaterThan(0.2);
    expect(noop.total.p50).toBeLessThanOrEqual(0.5);
    expect(o.stages.find((s) => s.agent === 'build')!.total.p95).toBe(3600);
    expect(o.gauges).toEqual([
      { agent: 'noop', waiting: [4, null, null], oldestWaitingSeconds: [2.5, null, null], alive: [2, null, null], now: { waiting: 1, oldestWaitingSeconds: 1.5, alive: 3 } },
    ]);
  });
});
