import { keys, type PipelineDefinition } from '@baton/contracts';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Child } from '../child.js';
import { preciseNow } from '../clock.js';
import { perUnit, type BenchRedis } from '../redis.js';
import { BenchStack } from '../stack.js';

export const CONCURRENCY = 50;
const NS = 'bench';

export interface Throughput {
  perSecond: number;
  seconds: number;
  /** Redis CPU milliseconds per job/run, and this (driver) process's. */
  redisCpuMs: number;
  driverCpuMs: number;
  workerCpuMs: number;
  commands: ReturnType<typeof perUnit>;
}

/**
 * Resets Redis's stats, starts the clock, runs `go` (which releases the pre-loaded work and returns
 * the seconds it took from `t0`), and reads throughput, commands and CPU per unit of work.
 */
export async function measure(redis: BenchRedis, child: Child, n: number, go: (t0: number) => Promise<number>): Promise<Throughput> {
  await redis.resetStats();
  const cpu0 = await redis.cpuSeconds();
  const drv0 = process.cpuUsage();
  const wrk0 = child.cpuSeconds();
  const seconds = await go(preciseNow());
  const commands = perUnit(await redis.commandStats(), n);
  const workerCpuMs = ((child.cpuSeconds() - wrk0) * 1000) / n;
  const redisCpuMs = (((await redis.cpuSeconds()) - cpu0) * 1000) / n;
  const d = process.cpuUsage(drv0);
  return { perSecond: n / seconds, seconds, commands, redisCpuMs, driverCpuMs: (d.user + d.system) / 1000 / n, workerCpuMs };
}

/** A: raw BullMQ. `n` no-op jobs pre-loaded on a paused queue; the clock starts when it is resumed. */
export async function rawThroughput(redis: BenchRedis, n: number): Promise<Throughput> {
  await redis.flush();
  const k = keys(NS);
  const conn = new Redis(redis.url, { maxRetriesPerRequest: null, connectionName: 'bench-producer' });
  const q = new Queue(k.queue('raw'), { connection: conn, prefix: k.bullPrefix });
  await q.pause();
  for (let i = 0; i < n; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({ name: 'job', data: { i: i + j }, opts: { removeOnComplete: true } }));
    await q.addBulk(batch);
  }
  const child = await Child.start('raw-worker', { url: redis.url, namespace: NS, queue: 'raw', concurrency: CONCURRENCY, mode: 'throughput', expect: n });
  try {
    return await measure(redis, child, n, async (t0) => {
      await q.resume();
      return ((await child.next('done')).at - t0) / 1000;
    });
  } finally {
    await child.stop();
    await q.close();
    conn.disconnect();
  }
}

/**
 * B/C: Baton. `n` runs of a noop pipeline submitted through the engine while
 * the noop queue is paused; the clock starts when it is resumed and stops when every run succeeded.
 * The engine runs in this (driver) process, the agent in a child process, as A's worker does.
 */
export async function batonThroughput(redis: BenchRedis, n: number, definition: PipelineDefinition): Promise<Throughput> {
  await redis.flush();
  const stack = await BenchStack.start(redis.url, NS);
  let child: Child | null = null;
  try {
    const queue = stack.engine.ctx.queues.get('noop');
    await queue.pause();
    await stack.submit(n, definition);
    child = await Child.start('agents', { url: redis.url, namespace: NS, agent: 'noop', count: 1, concurrency: CONCURRENCY });
    return await measure(redis, child, n, async (t0) => {
      await queue.resume();
      const f = await stack.untilFinished(n, 10);
      const seconds = (preciseNow() - t0) / 1000;
      if (f.failed > 0) throw new Error(`${f.failed} runs failed`);
      return seconds;
    });
  } finally {
    await child?.stop();
    await stack.stop();
  }
}
