import { keys } from '@baton/contracts';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Child } from '../child.js';
import { preciseNow } from '../clock.js';
import type { BenchRedis } from '../redis.js';
import { repeat, type BenchOptions, type ScenarioResult } from '../scenario.js';
import { linearPipeline, BenchStack } from '../stack.js';
import { median, percentile, round, sleep } from '../stats.js';
import { CONCURRENCY } from './throughput.js';

const NS = 'bench';
const STAGES = 5;

/** Raw BullMQ: add a job, the worker's handler notes when it started; one job in flight. */
async function rawHops(redis: BenchRedis, samples: number): Promise<number[]> {
  await redis.flush();
  const k = keys(NS);
  const conn = new Redis(redis.url, { maxRetriesPerRequest: null, connectionName: 'bench-producer' });
  const q = new Queue(k.queue('rawhop'), { connection: conn, prefix: k.bullPrefix });
  const child = await Child.start('raw-worker', { url: redis.url, namespace: NS, queue: 'rawhop', concurrency: CONCURRENCY, mode: 'hop', expect: 0 });
  const out: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      await q.add('hop', { t: preciseNow() }, { removeOnComplete: true });
      out.push((await child.next('sample', 10_000)).ms);
      await sleep(2);
    }
  } finally {
    await child.stop();
    await q.close();
    conn.disconnect();
  }
  return out;
}

/** Baton: one 5-stage run of the bench hop agent at a time; hop = stage N+1 handler start − stage N handler end. */
async function batonHops(redis: BenchRedis, runs: number): Promise<number[]> {
  await redis.flush();
  const stack = await BenchStack.start(redis.url, NS);
  const child = await Child.start('agents', { url: redis.url, namespace: NS, agent: 'hop', count: 1, concurrency: CONCURRENCY });
  const out: number[] = [];
  try {
    const definition = linearPipeline(STAGES, 'bench-hop');
    for (let i = 0; i < runs; i++) {
      const { doc } = await stack.engine.submit({ definition, input: {} } as never);
      const deadline = Date.now() + 10_000;
      let cur = doc;
      while (cur.status !== 'succeeded') {
        if (cur.status === 'failed' || Date.now() > deadline) throw new Error(`hop run ${doc.id} is ${cur.status}`);
        await sleep(5);
        cur = (await stack.engine.get(doc.id)) ?? cur;
      }
      const times = definition.stages.map((s) => cur.stages[s.name]!.output as { startedAt: number; endedAt: number });
      for (let s = 1; s < times.length; s++) out.push(times[s]!.startedAt - times[s - 1]!.endedAt);
    }
  } finally {
    await child.stop();
    await stack.stop();
  }
  return out;
}

export async function scenarioD(redis: BenchRedis, opts: BenchOptions): Promise<ScenarioResult> {
  const runs = opts.quick ? 25 : 60;
  const reps = await repeat(opts, 'D', async (rep) => {
    const n = rep < 0 ? 10 : runs;
    const raw = await rawHops(redis, n * (STAGES - 1));
    const baton = await batonHops(redis, n);
    return { rawP50: median(raw), rawP99: percentile(raw, 99), p50: median(baton), p99: percentile(baton, 99) };
  });
  const ratios = reps.map((r) => r.p50 / r.rawP50);
  return {
    id: 'D',
    title: `stage hop latency, one ${STAGES}-stage run in flight (${runs * (STAGES - 1)} hops per repetition) vs raw BullMQ add → handler start`,
    figures: {
      batonP50Ms: round(median(reps.map((r) => r.p50))),
      batonP99Ms: round(median(reps.map((r) => r.p99))),
      rawP50Ms: round(median(reps.map((r) => r.rawP50))),
      rawP99Ms: round(median(reps.map((r) => r.rawP99))),
      p50Ratio: round(median(ratios), 3),
    },
    reps: ratios.map((r) => round(r)),
    notes: ['hop = stage N+1 handler start − stage N handler end (agent clocks, same host); medians of per-repetition p50/p99'],
  };
}
