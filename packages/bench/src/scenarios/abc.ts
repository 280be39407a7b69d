import type { BenchRedis } from '../redis.js';
import { repeat, type BenchOptions, type ScenarioResult } from '../scenario.js';
import { linearPipeline } from '../stack.js';
import { median, round } from '../stats.js';
import { chainFlow, flowThroughput } from './flows.js';
import { batonThroughput, CONCURRENCY, rawThroughput, type Throughput } from './throughput.js';

/** How the CPU of a throughput run splits over processes: raw BullMQ (Redis + worker) or Baton (Redis + orchestrator + agent). */
export type Layout = 'raw' | 'baton';

export function cpuOf(t: Throughput, layout: Layout): Record<string, number> {
  return layout === 'raw'
    ? { redis: round(t.redisCpuMs, 3), worker: round(t.workerCpuMs, 3) }
    : { redis: round(t.redisCpuMs, 3), orchestrator: round(t.driverCpuMs, 3), agent: round(t.workerCpuMs, 3) };
}

export function summarise(id: string, title: string, unit: string, results: Throughput[], notes: string[], layout: Layout): ScenarioResult {
  const rates = results.map((r) => r.perSecond);
  const mid = results.find((r) => r.perSecond === median(rates)) ?? results[0]!;
  return {
    id,
    title,
    figures: { perSecond: round(median(rates), 1), seconds: round(mid.seconds, 2), redisCpuMs: round(mid.redisCpuMs, 3), driverCpuMs: round(mid.driverCpuMs, 3), workerCpuMs: round(mid.workerCpuMs, 3) },
    reps: rates.map((r) => round(r, 1)),
    commands: { unit, perUnit: mid.commands.perUnit, top: mid.commands.top },
    cpu: { unit, perProcess: cpuOf(mid, layout) },
    notes,
  };
}

export async function scenarioA(redis: BenchRedis, opts: BenchOptions): Promise<ScenarioResult> {
  const n = opts.quick ? 5000 : 20_000;
  const results = await repeat(opts, 'A', (rep) => rawThroughput(redis, rep < 0 ? Math.min(n, 5000) : n));
  return summarise('A', `raw BullMQ worker, no-op, concurrency ${CONCURRENCY}, ${n} jobs pre-loaded`, 'job', results, [
    'worker in a child process; jobs added with removeOnComplete',
  ], 'raw');
}

export async function scenarioB(redis: BenchRedis, opts: BenchOptions): Promise<ScenarioResult> {
  const n = opts.quick ? 1000 : 5000;
  const results = await repeat(opts, 'B', (rep) => batonThroughput(redis, rep < 0 ? Math.min(n, 1000) : n, linearPipeline(1)));
  return summarise('B', `Baton 1-stage noop runs, concurrency ${CONCURRENCY}, ${n} runs pre-submitted`, 'run', results, [
    'engine in the driver process, one noop agent (50 slots) in a child process',
  ], 'baton');
}

const CHAIN = 5;
const chainCount = (opts: BenchOptions) => (opts.quick ? 300 : 1000);

export async function scenarioC(redis: BenchRedis, opts: BenchOptions): Promise<ScenarioResult> {
  const n = chainCount(opts);
  const results = await repeat(opts, 'C', (rep) => batonThroughput(redis, rep < 0 ? Math.min(n, 300) : n, linearPipeline(CHAIN)));
  return summarise('C', `Baton ${CHAIN}-stage linear noop runs, concurrency ${CONCURRENCY}, ${n} runs pre-submitted`, 'run', results, [
    'same layout as B',
  ], 'baton');
}

/** P, the peer of C: BullMQ FlowProducer chains 5 deep (child → parent), same count and concurrency. */
export async function scenarioP(redis: BenchRedis, opts: BenchOptions): Promise<ScenarioResult> {
  const n = chainCount(opts);
  const results = await repeat(opts, 'P', (rep) => flowThroughput(redis, rep < 0 ? Math.min(n, 300) : n, CHAIN, (q, i) => chainFlow(q, CHAIN, i)));
  return summarise('P', `BullMQ FlowProducer ${CHAIN}-deep chains (child → parent), no-op, concurrency ${CONCURRENCY}, ${n} chains pre-loaded`, 'chain', results, [
    `each chain is one flow whose ${CHAIN} jobs nest child → parent on one queue (removeOnComplete); a BullMQ worker in a child process, as in A`,
    'workerCpuMs is the worker process; driverCpuMs is this process (idle while it waits)',
  ], 'raw');
}
