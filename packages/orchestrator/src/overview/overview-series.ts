import {
  bucketQuantile,
  OVERVIEW_DURATION_BOUNDS,
  OVERVIEW_MINUTE_MS,
  OVERVIEW_OUTCOMES,
  overviewMinute,
  type Keys,
  type Overview,
} from '@baton/contracts';
import type { RedisClient } from '@baton/platform';
import type { FleetGauge } from './fleet-gauges.js';

/** The minute hashes of [fromMs, toMs), oldest first (an empty object for a minute without one). */
export async function readOverviewMinutes(redis: RedisClient, keys: Keys, fromMs: number, toMs: number): Promise<{ minutes: number[]; hashes: Record<string, string>[] }> {
  const minutes: number[] = [];
  for (let m = overviewMinute(fromMs); m <= overviewMinute(toMs - 1); m++) minutes.push(m);
  const pipe = redis.pipeline();
  for (const m of minutes) pipe.hgetall(keys.overviewMinute(m));
  const res = (await pipe.exec()) ?? [];
  const hashes = res.map(([err, value]) => {
    if (err) throw err;
    return (value ?? {}) as Record<string, string>;
  });
  return { minutes, hashes };
}

const BUCKETS = OVERVIEW_DURATION_BOUNDS.length + 1;

/** Folds the minute hashes (fields: contracts/overview.ts) into the API's series. */
export function overviewSeries(fromMs: number, toMs: number, minutes: number[], hashes: Record<string, string>[], now: Map<string, FleetGauge>): Overview {
  const n = minutes.length;
  const runs = Object.fromEntries(OVERVIEW_OUTCOMES.map((o) => [o, new Array<number>(n).fill(0)])) as Record<(typeof OVERVIEW_OUTCOMES)[number], number[]>;
  /** agent -> minute -> counts per bucket. */
  const hist = new Map<string, number[][]>();
  type Gauges = { waiting: (number | null)[]; oldest: (number | null)[]; alive: (number | null)[] };
  const gauges = new Map<string, Gauges>();
  const gaugeOf = (agent: string) => {
    let g = gauges.get(agent);
    if (!g) gauges.set(agent, (g = { waiting: new Array(n).fill(null), oldest: new Array(n).fill(null), alive: new Array(n).fill(null) }));
    return g;
  };
  hashes.forEach((h, i) => {
    for (const [field, raw] of Object.entries(h)) {
      const value = Number(raw);
      if (!Number.isFinite(value)) continue;
      const parts = field.split(':');
      if (parts[0] === 'r' && parts.length === 2 && parts[1]! in runs) runs[parts[1] as keyof typeof runs][i] = value;
      else if (parts[0] === 's' && parts.length === 3) {
        const b = Number(parts[2]);
        if (!Number.isInteger(b) || b < 0 || b >= BUCKETS) continue;
        let perMinute = hist.get(parts[1]!);
        if (!perMinute) hist.set(parts[1]!, (perMinute = Array.from({ length: n }, () => new Array<number>(BUCKETS).fill(0))));
        perMinute[i]![b] = value;
      } else if (parts[0] === 'g' && parts.length === 3) {
        const g = gaugeOf(parts[2]!);
        if (parts[1] === 'q') g.waiting[i] = value;
        else if (parts[1] === 'o') g.oldest[i] = value / 1000;
        else if (parts[1] === 'a') g.alive[i] = value;
      }
    }
  });
  for (const agent of now.keys()) gaugeOf(agent);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const stages = [...hist.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([agent, perMinute]) => {
      const all = new Array<number>(BUCKETS).fill(0);
      for (const counts of perMinute) counts.forEach((c, b) => (all[b]! += c));
      return {
        agent,
        finished: perMinute.map(sum),
        p50: perMinute.map((c) => bucketQuantile(c, 0.5)),
        p95: perMinute.map((c) => bucketQuantile(c, 0.95)),
        total: { finished: sum(all), p50: bucketQuantile(all, 0.5), p95: bucketQuantile(all, 0.95) },
      };
    });
  return {
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    bucketSeconds: 60,
    minutes: minutes.map((m) => (m * OVERVIEW_MINUTE_MS) / 1000),
    runs: { ...runs, total: { succeeded: sum(runs.succeeded), failed: sum(runs.failed), cancelled: sum(runs.cancelled) } },
    stages,
    gauges: [...gauges.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([agent, g]) => {
        const live = now.get(agent) ?? { waiting: 0, oldestWaitingMs: 0, alive: 0 };
        return {
          agent,
          waiting: g.waiting,
          oldestWaitingSeconds: g.oldest,
          alive: g.alive,
          now: { waiting: live.waiting, oldestWaitingSeconds: live.oldestWaitingMs / 1000, alive: live.alive },
        };
      }),
    durationBounds: [...OVERVIEW_DURATION_BOUNDS],
  };
}
