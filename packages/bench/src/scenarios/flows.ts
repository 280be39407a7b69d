import { keys } from '@baton/contracts';
import { FlowProducer, Queue, type FlowJob } from 'bullmq';
import { Redis } from 'ioredis';
import { Child } from '../child.js';
import type { BenchRedis } from '../redis.js';
import { CONCURRENCY, measure, type Throughput } from './throughput.js';

const NS = 'bench';
const QUEUE = 'flow';

/** A BullMQ flow: a chain `depth` deep (the root is the last stage; each node's one child is the stage before it). */
export function chainFlow(queueName: string, depth: number, i: number): FlowJob {
  let node: FlowJob | undefined;
  for (let s = 1; s <= depth; s++) {
    node = { name: `s${s}`, queueName, data: { i }, opts: { removeOnComplete: true }, ...(node ? { children: [node] } : {}) };
  }
  return node!;
}

/** A BullMQ flow: one parent (the fan-in) over `width` children (the fan-out). */
export function fanFlow(queueName: string, width: number, i: number): FlowJob {
  return {
    name: 'fan-in',
    queueName,
    data: { i },
    opts: { removeOnComplete: true },
    children: Array.from({ length: width }, (_, j) => ({ name: 'item', queueName, data: { i, j }, opts: { removeOnComplete: true } })),
  };
}

/**
 * The BullMQ FlowProducer peer of B/C and the fan-out: `n` flows added while the queue is paused (`jobsPerFlow`
 * jobs each), a raw BullMQ worker (no-op, concurrency 50) in a child process; the clock starts when the
 * queue is resumed and stops when the worker completed every job (so every flow's root).
 */
export async function flowThroughput(redis: BenchRedis, n: number, jobsPerFlow: number, flow: (queueName: string, i: number) => FlowJob): Promise<Throughput> {
  await redis.flush();
  const k = keys(NS);
  const conn = new Redis(redis.url, { maxRetriesPerRequest: null, connectionName: 'bench-producer' });
  const queueName = k.queue(QUEUE);
  const q = new Queue(queueName, { connection: conn, prefix: k.bullPrefix });
  const producer = new FlowProducer({ connection: conn, prefix: k.bullPrefix });
  await q.pause();
  const batch = Math.max(1, Math.floor(1000 / jobsPerFlow));
  for (let i = 0; i < n; i += batch) {
    await producer.addBulk(Array.from({ length: Math.min(batch, n - i) }, (_, j) => flow(queueName, i + j)));
  }
  const child = await Child.start('raw-worker', { url: redis.url, namespace: NS, queue: QUEUE, concurrency: CONCURRENCY, mode: 'throughput', expect: n * jobsPerFlow });
  try {
    return await measure(redis, child, n, async (t0) => {
      await q.resume();
      return ((await child.next('done')).at - t0) / 1000;
    });
  } finally {
    await child.stop();
    await producer.close();
    await q.close();
    conn.disconnect();
  }
}
