/**
 * The raw BullMQ anchor: one Worker, no-op handler. `throughput` reports when `expect` jobs are done;
 * `hop` reports, per job, the time from the producer's add to the handler's start.
 */
import { keys } from '@baton/contracts';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { preciseNow } from '../clock.js';
import { childConfig, exitWithParent, send } from './ipc.js';

interface Config {
  url: string;
  namespace: string;
  queue: string;
  concurrency: number;
  mode: 'throughput' | 'hop';
  expect: number;
}

const cfg = childConfig<Config>();
const k = keys(cfg.namespace);
const connection = new Redis(cfg.url, { maxRetriesPerRequest: null, connectionName: 'raw-bullmq-worker' });
let done = 0;
const worker = new Worker(
  k.queue(cfg.queue),
  async (job) => {
    if (cfg.mode === 'hop') send({ type: 'sample', ms: preciseNow() - (job.data as { t: number }).t });
    return null;
  },
  { connection, prefix: k.bullPrefix, concurrency: cfg.concurrency, removeOnComplete: { count: 0 } },
);
worker.on('completed', () => {
  done++;
  if (cfg.mode === 'throughput' && done === cfg.expect) send({ type: 'done', at: preciseNow(), count: done });
});
await worker.waitUntilReady();
send({ type: 'ready' });
exitWithParent(async () => {
  await worker.close();
  connection.disconnect();
});
