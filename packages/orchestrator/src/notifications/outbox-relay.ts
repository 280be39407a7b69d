import type { Keys } from '@baton/contracts';
import type { OutboxEntry } from '@baton/engine';
import { errorMessage, type Logger, type RedisClient } from '@baton/platform';
import type { Queue } from 'bullmq';
import { subscribed } from './notification-message.js';
import type { NotificationStore } from './notification-store.js';

export const OUTBOX_GROUP = 'notifier';
/** An entry a consumer read but did not acknowledge for this long is taken over by another (it died). */
const CLAIM_IDLE_MS = 15_000;

export interface DeliveryJob {
  sub: string;
  deliveryId: string;
  entry: OutboxEntry;
}

/** A delivery's id: the subscription and the outbox entry (BullMQ job ids may not contain ":"). */
export const deliveryIdOf = (sub: string, entryId: string) => `${sub}.${entryId}`;

/**
 * Moves outbox entries (written by the run commit script, in the transition's own commit) into the
 * delivery queue, one job per matching subscription. Every orchestrator reads the outbox in one
 * consumer group, so each entry goes to one of them; an entry is acknowledged only after its jobs
 * are added (job id = delivery id, so adding twice adds once), and one a dead consumer held is
 * claimed by another after CLAIM_IDLE_MS. At-least-once, without loss across kill -9.
 */
export class OutboxRelay {
  private stopped = false;
  private loop: Promise<void> | null = null;
  private lastClaim = 0;

  constructor(
    private readonly reader: RedisClient,
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly store: NotificationStore,
    private readonly queue: Queue<DeliveryJob>,
    private readonly consumer: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.keys.notificationOutbox(), OUTBOX_GROUP, '$', 'MKSTREAM');
    } catch (e: unknown) {
      if (!errorMessage(e).includes('BUSYGROUP')) throw e;
    }
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.reader.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (Date.now() - this.lastClaim > CLAIM_IDLE_MS / 3) await this.claimAbandoned();
        const res = (await this.reader.xreadgroup('GROUP', OUTBOX_GROUP, this.consumer, 'COUNT', 100, 'BLOCK', 2000, 'STREAMS', this.keys.notificationOutbox(), '>')) as
          | [string, [string, string[]][]][]
          | null;
        for (const [, entries] of res ?? []) await this.handle(entries);
      } catch (e: unknown) {
        if (this.stopped) return;
        this.log.warn({ err: errorMessage(e) }, 'notification outbox read failed; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private async claimAbandoned(): Promise<void> {
    this.lastClaim = Date.now();
    const [, entries] = (await this.redis.xautoclaim(this.keys.notificationOutbox(), OUTBOX_GROUP, this.consumer, CLAIM_IDLE_MS, '0', 'COUNT', 100)) as [string, [string, string[] | null][]];
    const live = entries.filter((e): e is [string, string[]] => Array.isArray(e[1]));
    if (live.length > 0) this.log.info({ entries: live.length }, 'claimed notification outbox entries of a consumer that stopped');
    await this.handle(live);
  }

  private async handle(entries: [string, string[]][]): Promise<void> {
    if (entries.length === 0) return;
    const subs = await this.store.list();
    for (const [id, fields] of entries) {
      const raw = fields[fields.indexOf('event') + 1];
      const entry = raw ? (JSON.parse(raw) as OutboxEntry) : null;
      for (const sub of entry ? subs.filter((s) => subscribed(s, entry)) : []) {
        const deliveryId = deliveryIdOf(sub.name, id);
        const now = new Date().toISOString();
        await this.store.createDelivery(sub.name, { deliveryId, event: entry!.event, runId: entry!.runId, stage: entry!.stage, status: 'pending', attempts: 0, lastError: null, createdAt: now, updatedAt: now });
        await this.queue.add('deliver', { sub: sub.name, deliveryId, entry: entry! }, { jobId: deliveryId });
      }
      await this.redis.xack(this.keys.notificationOutbox(), OUTBOX_GROUP, id);
    }
  }
}
