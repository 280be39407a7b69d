import type { Keys } from '@baton/contracts';
import { errorMessage, type Logger, type RedisClient } from '@baton/platform';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { signTimestamped } from '../triggers/timestamped-hmac.js';
import { slackMessage, webhookBody } from './notification-message.js';
import type { NotificationStore } from './notification-store.js';
import type { DeliveryJob } from './outbox-relay.js';

export interface NotifyConfig {
  attempts: number;
  backoffMs: number;
  timeoutMs: number;
  /** BullMQ lock of a delivery being made: a dead orchestrator's delivery is retried after it lapses. */
  lockMs?: number;
}

export const DEFAULT_NOTIFY: NotifyConfig = { attempts: 8, backoffMs: 1000, timeoutMs: 10_000 };

export function deliveryQueue(redis: RedisClient, keys: Keys, cfg: NotifyConfig): Queue<DeliveryJob> {
  const q = new Queue<DeliveryJob>(keys.notificationQueue(), {
    connection: redis,
    prefix: keys.bullPrefix,
    defaultJobOptions: {
      attempts: cfg.attempts,
      backoff: { type: 'exponential', delay: cfg.backoffMs },
      removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
      removeOnFail: { age: 30 * 24 * 3600 },
    },
  });
  q.on('error', () => undefined);
  return q;
}

/**
 * Makes deliveries: a signed JSON POST (webhook) or a Slack message. A non-2xx answer or a timeout
 * fails the attempt; BullMQ retries with exponential backoff, and after the last attempt the
 * delivery stays failed (the dead-letter view) until an operator redelivers it. The engine never
 * waits on this: it only wrote the outbox entry.
 */
export function startDeliveryWorker(connection: RedisClient, keys: Keys, store: NotificationStore, secrets: Readonly<Record<string, string>>, cfg: NotifyConfig, log: Logger): Worker<DeliveryJob> {
  const worker = new Worker<DeliveryJob>(
    keys.notificationQueue(),
    async (job: Job<DeliveryJob>) => {
      const { sub: name, deliveryId, entry } = job.data;
      const sub = await store.get(name);
      if (!sub) throw new UnrecoverableError(`subscription ${name} was deleted`);
      await store.updateDelivery(name, deliveryId, { attempts: job.attemptsMade + 1 });
      const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'baton-notifier', 'x-baton-delivery': deliveryId, 'x-baton-event': entry.event };
      let body: string;
      if (sub.target.type === 'webhook') {
        body = JSON.stringify(webhookBody(sub, deliveryId, entry));
        const ref = sub.target.secret;
        const secret = 'env' in ref ? secrets[ref.env] : undefined;
        if (secret === undefined) throw new Error(`the signing secret of subscription ${name} is not set on this orchestrator`);
        headers['x-baton-signature'] = signTimestamped(secret, body, Date.now() / 1000);
      } else {
        body = JSON.stringify(slackMessage(sub, entry));
      }
      const res = await fetch(sub.target.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(cfg.timeoutMs), redirect: 'manual' });
      await res.body?.cancel().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) throw new Error(`the receiver answered ${res.status}`);
    },
    { connection, prefix: keys.bullPrefix, concurrency: 10, ...(cfg.lockMs ? { lockDuration: cfg.lockMs, stalledInterval: Math.max(500, Math.floor(cfg.lockMs / 2)) } : {}) },
  );
  worker.on('completed', (job) => {
    store.updateDelivery(job.data.sub, job.data.deliveryId, { status: 'delivered', lastError: null, attempts: job.attemptsMade }).catch(() => undefined);
  });
  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError;
    log.warn({ subscription: job.data.sub, deliveryId: job.data.deliveryId, attempt: job.attemptsMade, final, err: errorMessage(err) }, 'notification delivery failed');
    store.updateDelivery(job.data.sub, job.data.deliveryId, { status: final ? 'failed' : 'pending', lastError: errorMessage(err).slice(0, 500), attempts: job.attemptsMade }).catch(() => undefined);
  });
  worker.on('error', (err) => log.warn({ err: errorMessage(err) }, 'notification worker error'));
  return worker;
}

/** Sends a delivery again (from the dead-letter view): the same delivery id, so receivers can deduplicate. */
export async function redeliver(queue: Queue<DeliveryJob>, store: NotificationStore, sub: string, deliveryId: string): Promise<boolean> {
  const job = await queue.getJob(deliveryId);
  if (!job) return false;
  const state = await job.getState();
  if (state === 'failed') await job.retry('failed');
  else if (state === 'completed') {
    const data = job.data;
    await job.remove();
    await queue.add('deliver', data, { jobId: deliveryId });
  } else return true; // still waiting or being made
  await store.updateDelivery(sub, deliveryId, { status: 'pending', lastError: null });
  return true;
}
