import { describe, expect, it } from 'vitest';
import { bucketQuantile, durationBucket, OVERVIEW_DURATION_BOUNDS, overviewMinute, OverviewQuery } from '../src/overview.js';

const B = OVERVIEW_DURATION_BOUNDS.length + 1;
const counts = (entries: Record<number, number>) => Array.from({ length: B }, (_, i) => entries[i] ?? 0);

describe('overview bucket math', () => {
  it('puts a duration in the first bucket whose upper bound holds it (bounds inclusive), above the last in the overflow', () => {
    expect(durationBucket(0)).toBe(0);
    expect(durationBucket(0.01)).toBe(0);
    expect(durationBucket(0.0101)).toBe(1);
    expect(durationBucket(1)).toBe(OVERVIEW_DURATION_BOUNDS.indexOf(1));
    expect(durationBucket(1.5)).toBe(OVERVIEW_DURATION_BOUNDS.indexOf(2));
    expect(durationBucket(3600)).toBe(OVERVIEW_DURATION_BOUNDS.length - 1);
    expect(durationBucket(3601)).toBe(OVERVIEW_DURATION_BOUNDS.length);
  });

  it('takes the minute of an instant', () => {
    expect(overviewMinute(0)).toBe(0);
    expect(overviewMinute(59_999)).toBe(0);
    expect(overviewMinute(60_000)).toBe(1);
  });

  it('interpolates a quantile inside the bucket that holds it', () => {
    expect(bucketQuantile(counts({}), 0.5)).toBeNull();
    const i1 = OVERVIEW_DURATION_BOUNDS.indexOf(1); // (0.5, 1]
    // Ten observations in (0.5, 1]: the median is half-way through the bucket.
    expect(bucketQuantile(counts({ [i1]: 10 }), 0.5)).toBeCloseTo(0.75);
    expect(bucketQuantile(counts({ [i1]: 10 }), 1)).toBeCloseTo(1);
    // 90 fast ones in (0, 0.01], 10 slow ones in (5, 10]: p50 is fast, p95 half-way through the slow bucket.
    const i10 = OVERVIEW_DURATION_BOUNDS.indexOf(10);
    const h = counts({ 0: 90, [i10]: 10 });
    expect(bucketQuantile(h, 0.5)).toBeCloseTo(0.01 * (50 / 90));
    expect(bucketQuantile(h, 0.95)).toBeCloseTo(7.5);
    // Above the last bound a quantile is reported as that bound.
    expect(bucketQuantile(counts({ [B - 1]: 3 }), 0.5)).toBe(3600);
  });

  it('keeps a quantile within the bounds of the bucket of the true value', () => {
    const seconds = [0.003, 0.04, 0.04, 0.3, 0.7, 1.2, 1.9, 4, 12, 40];
    const h = new Array<number>(B).fill(0);
    for (const s of seconds) h[durationBucket(s)]!++;
    for (const q of [0.5, 0.95]) {
      const exact = [...seconds].sort((a, b) => a - b)[Math.ceil(q * seconds.length) - 1]!;
      const b = durationBucket(exact);
      const est = bucketQuantile(h, q)!;
      expect(est).toBeGreaterThanOrEqual(b === 0 ? 0 : OVERVIEW_DURATION_BOUNDS[b - 1]!);
      expect(est).toBeLessThanOrEqual(OVERVIEW_DURATION_BOUNDS[b]!);
    }
  });

  it('refuses a reversed or over-long range', () => {
    expect(OverviewQuery.safeParse({ from: '2026-01-01T01:00:00Z', to: '2026-01-01T00:00:00Z' }).success).toBe(false);
    expect(OverviewQuery.safeParse({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:01Z' }).success).toBe(false);
    expect(OverviewQuery.safeParse({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }).success).toBe(true);
    expect(OverviewQuery.safeParse({ from: 'yesterday' }).success).toBe(false);
    expect(OverviewQuery.safeParse({ range: '1h' }).success).toBe(false);
  });
});
