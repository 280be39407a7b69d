import { Child } from '../child.js';
import { preciseNow } from '../clock.js';
import type { BenchRedis } from '../redis.js';
import type { BenchOptions, ScenarioResult } from '../scenario.js';
import { linearPipeline, BenchStack } from '../stack.js';
import { round, sleep } from '../stats.js';
import { closedLoop } from './closed-loop.js';

const NS = 'bench';

/** Waits until no run is active and retention has trimmed the finished runs to `keep`; returns the seconds waited. */
async function settle(redis: BenchRedis, stack: BenchStack, keep: number, timeoutMs = 300_000): Promise<number> {
  const t0 = preciseNow();
  for (;;) {
    const [active, finished] = await Promise.all([redis.admin.zcard(stack.keys.runsActive()), redis.admin.zcard(stack.keys.runsFinished())]);
    if (active === 0 && finished <= keep) return (preciseNow() - t0) / 1000;
    if (preciseNow() - t0 > timeoutMs) throw new Error(`retention did not settle: ${active} active, ${finished} finished (keep ${keep})`);
    await sleep(250);
  }
}

async function usedMemoryMb(redis: BenchRedis): Promise<number> {
  await sleep(1500); // let lazy frees and the last job removals land
  return (await redis.infoField('memory', 'used_memory')) / 1024 / 1024;
}

/**
 * Redis memory after N and 2N finished 1-stage runs with retention keeping N (the default count,
 * 10 000): with retention working, the second figure is no larger than the first. One repetition.
 */
export async function scenarioG(redis: BenchRedis, opts: BenchOptions): Promise<ScenarioResult> {
  const n = opts.quick ? 2000 : 10_000;
  opts.log(`G: ${n} then ${2 * n} runs, retention count ${n}`);
  await redis.flush();
  const stack = await BenchStack.start(redis.url, NS, { runRetentionCount: n });
  const child = await Child.start('agents', { url: redis.url, namespace: NS, agent: 'noop', count: 1, concurrency: 50 });
  try {
    const base = await usedMemoryMb(redis);
    const definition = linearPipeline(1);
    await closedLoop(stack, definition, () => ({}), { inFlight: 500, total: n });
    const settle1 = await settle(redis, stack, n);
    const mem1 = await usedMemoryMb(redis);
    await closedLoop(stack, definition, () => ({}), { inFlight: 500, total: n });
    const settle2 = await settle(redis, stack, n);
    const mem2 = await usedMemoryMb(redis);
    return {
      id: 'G',
      title: `Redis memory after ${n} and ${2 * n} finished runs, retention count ${n}`,
      figures: {
        baseMb: round(base),
        mem1Mb: round(mem1),
        mem2Mb: round(mem2),
        ratio: round(mem2 / mem1, 3),
        bytesPerRun: round(((mem1 - base) * 1024 * 1024) / n, 0),
        retentionCatchUpS: round(settle2, 1),
        settle1S: round(settle1, 1),
      },
      reps: [round(mem2 / mem1)],
      notes: ['one repetition (memory is not noisy); used_memory from INFO, 1.5 s after the queue drained', 'retentionCatchUpS: time after the last run finished until retention had trimmed back to the count'],
    };
  } finally {
    await child.stop();
    await stack.stop();
  }
}
