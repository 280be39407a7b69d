import { z } from 'zod';
import { AgentType } from './names.js';

/**
 * The overview series: one small Redis hash per minute (`Keys.overviewMinute`), expiring
 * OVERVIEW_RETENTION_MINUTES after its minute. Fields:
 *
 *   r:<status>            runs finished in the minute (succeeded | failed | cancelled)
 *   s:<agent>:<i>         stages of an agent type finished in the minute whose execution time fell in
 *                         duration bucket i (OVERVIEW_DURATION_BOUNDS; i = bounds.length: above the last)
 *   g:at                  when the minute's gauge sample was taken (claimed by one orchestrator)
 *   g:q:<agent>           jobs waiting on the agent type's queue (sample)
 *   g:o:<agent>           age of its oldest waiting job, ms (sample)
 *   g:a:<agent>           agents of the type alive (sample)
 *
 * The r: and s: counters are incremented inside the run commit script, so they are exact; the g:
 * fields are one sample per minute.
 */
export const OVERVIEW_MINUTE_MS = 60_000;
/** Seven days of minutes. */
export const OVERVIEW_RETENTION_MINUTES = 7 * 24 * 60;
/** The longest range one request may ask for: a day of minutes. */
export const OVERVIEW_MAX_RANGE_MS = 24 * 3600 * 1000;
export const OVERVIEW_DEFAULT_RANGE_MS = 3600 * 1000;

/**
 * Upper bounds (seconds) of the stage-duration buckets, a 1-2-5 series from 10 ms to an hour. A
 * percentile is interpolated inside the bucket that holds it, so it is exact to within that bucket:
 * at worst a factor of 2.5 between the bucket's bounds, and above an hour it is reported as 3600.
 */
export const OVERVIEW_DURATION_BOUNDS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 3600] as const;

export const OVERVIEW_OUTCOMES = ['succeeded', 'failed', 'cancelled'] as const;
export type OverviewOutcome = (typeof OVERVIEW_OUTCOMES)[number];

/** The minute (minutes since the epoch) that holds `ms`. */
export function overviewMinute(ms: number): number {
  return Math.floor(ms / OVERVIEW_MINUTE_MS);
}

/** Index of the duration bucket a stage execution of `seconds` falls in (bounds.length: above the last). */
export function durationBucket(seconds: number): number {
  const i = OVERVIEW_DURATION_BOUNDS.findIndex((b) => seconds <= b);
  return i === -1 ? OVERVIEW_DURATION_BOUNDS.length : i;
}

export const overviewField = {
  runs: (status: OverviewOutcome) => `r:${status}`,
  stage: (agent: string, bucket: number) => `s:${agent}:${bucket}`,
  sampledAt: 'g:at',
  waiting: (agent: string) => `g:q:${agent}`,
  oldestWaitingMs: (agent: string) => `g:o:${agent}`,
  alive: (agent: string) => `g:a:${agent}`,
};

/**
 * The q-quantile (0 < q ≤ 1) of a histogram of counts per duration bucket, interpolated linearly in
 * the bucket that holds it (as Prometheus' histogram_quantile does); null when it is empty.
 */
export function bucketQuantile(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] ?? 0;
    if (c > 0 && seen + c >= rank) {
      if (i >= OVERVIEW_DURATION_BOUNDS.length) return OVERVIEW_DURATION_BOUNDS[OVERVIEW_DURATION_BOUNDS.length - 1]!;
      const lower = i === 0 ? 0 : OVERVIEW_DURATION_BOUNDS[i - 1]!;
      const upper = OVERVIEW_DURATION_BOUNDS[i]!;
      return lower + ((upper - lower) * (rank - seen)) / c;
    }
    seen += c;
  }
  return OVERVIEW_DURATION_BOUNDS[OVERVIEW_DURATION_BOUNDS.length - 1]!;
}

/** GET /v1/overview query: an ISO range, at most a day; without one, the last hour. */
export const OverviewQuery = z
  .object({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .superRefine((q, ctx) => {
    const from = q.from === undefined ? undefined : Date.parse(q.from);
    const to = q.to === undefined ? undefined : Date.parse(q.to);
    if (from !== undefined && to !== undefined) {
      if (from >= to) ctx.addIssue({ code: 'custom', path: ['from'], message: '"from" must be before "to"' });
      else if (to - from > OVERVIEW_MAX_RANGE_MS) ctx.addIssue({ code: 'custom', path: ['to'], message: 'the range may span at most 24 hours' });
    }
  });
export type OverviewQuery = z.infer<typeof OverviewQuery>;

const Count = z.int().nonnegative();
const Seconds = z.number().nonnegative();

export const OverviewStageSeries = z.object({
  agent: AgentType,
  /** Stages finished per minute. */
  finished: z.array(Count),
  /** Execution time p50 / p95 per minute, seconds (null: none finished that minute). */
  p50: z.array(Seconds.nullable()),
  p95: z.array(Seconds.nullable()),
  /** Over the whole range. */
  total: z.object({ finished: Count, p50: Seconds.nullable(), p95: Seconds.nullable() }),
});

export const OverviewGaugeSeries = z.object({
  agent: AgentType,
  /** One sample per minute (null: no sample that minute). */
  waiting: z.array(Count.nullable()),
  oldestWaitingSeconds: z.array(Seconds.nullable()),
  alive: z.array(Count.nullable()),
  /** Read now, as the request is answered. */
  now: z.object({ waiting: Count, oldestWaitingSeconds: Seconds, alive: Count }),
});

/** GET /v1/overview: per-minute series over [from, to), one entry of each array per minute. */
export const Overview = z.object({
  from: z.string(),
  to: z.string(),
  bucketSeconds: z.literal(60),
  /** Start of each minute, epoch seconds. */
  minutes: z.array(z.int()),
  runs: z.object({
    succeeded: z.array(Count),
    failed: z.array(Count),
    cancelled: z.array(Count),
    total: z.object({ succeeded: Count, failed: Count, cancelled: Count }),
  }),
  stages: z.array(OverviewStageSeries),
  gauges: z.array(OverviewGaugeSeries),
  /** Upper bounds of the duration buckets the percentiles come from, seconds. */
  durationBounds: z.array(z.number()),
});
export type Overview = z.infer<typeof Overview>;
