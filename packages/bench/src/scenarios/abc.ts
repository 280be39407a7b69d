import type { BenchRedis } from '../redis.js';
import { repeat, type BenchOptions, type ScenarioResult } from '../scenario.js';
import { median, round } from '../stats.js';
import { batonThroughput, CONCURRENCY, rawThroughput, type Throughput } from './throughput.js';

function summarise(id: string, title: string, unit: string, results: Throughput[], notes: string[]): ScenarioResult {
  const rates = results.map((r) => r.perSecond);
  const mid = results.find((r) => r.perSecond === median(rates)) ?? results[0]!;
  return {
    id,
    title,
    figures: { perSecond: round(median(rates), 1), seconds: round(mid.seconds, 2), redisCpuMs: round(mid.redisCpuMs, 3), driverCpuMs: round(mid.driverCpuMs, 3), workerCpuMs: round(mid.workerCpuMs, 3) },
    reps: rates.map((r) => round(r, 1)),
    commands: { unit, perUnit: mid.commands.perUnit, top: mid.commands.top },
    notes,
  };
}

export async function scenarioA(redis: BenchRedis, opts: BenchOptions): Promise<ScenarioResult> {
  const n = opts.quick ? 5000 : 20_000;
  const results = await repeat(opts, 'A', (rep) => rawThroughput(redis, rep < 0 ? Math.min(n, 5000) : n));
  return summarise('A', `raw BullMQ worker, no-op, concurrency ${CONCURRENCY}, ${n} jobs pre-loaded`, 'job', results, [
    'worker in a child process; jobs added with removeOnComplete',
  ]);
}

export async function scenarioB(redis: BenchRedis, opts: BenchOptions): Promise<ScenarioResult> {
  const n = opts.quick ? 1000 : 5000;
  const results = await repeat(opts, 'B', (rep) => batonThroughput(redis, rep < 0 ? Math.min(n, 1000) : n, 1));
  return summarise('B', `Baton 1-stage noop runs, concurrency ${CONCURRENCY}, ${n} runs pre-submitted`, 'run', results, [
    'engine in the driver process, one noop agent (50 slots) in a child process',
  ]);
}

export async function scenarioC(redis: BenchRedis, opts: BenchOptions): Promise<ScenarioResult> {
  const n = opts.quick ? 300 : 1000;
  const results = await repeat(opts, 'C', (rep) => batonThroughput(redis, rep < 0 ? Math.min(n, 300) : n, 5));
  return summarise('C', `Baton 5-stage linear noop runs, concurrency ${CONCURRENCY}, ${n} runs pre-submitted`, 'run', results, [
    'same layout as B',
  ]);
}
