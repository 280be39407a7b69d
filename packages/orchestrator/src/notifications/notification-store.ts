import { NotificationDelivery, NotificationRequest, type Keys, type NotificationView } from '@baton/contracts';
import type { RedisClient } from '@baton/platform';
import { z } from 'zod';

export const StoredNotification = NotificationRequest.extend({ name: z.string(), createdAt: z.string(), updatedAt: z.string() });
export type StoredNotification = z.infer<typeof StoredNotification>;

const DELIVERIES_KEPT = 1000;

/** Subscriptions (one hash) and, per subscription, its delivery records (hash + time-ordered zset). */
export class NotificationStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async put(name: string, req: NotificationRequest, now: Date): Promise<{ sub: StoredNotification; created: boolean }> {
    const existing = await this.get(name);
    const at = now.toISOString();
    const sub: StoredNotification = { ...req, name, createdAt: existing?.createdAt ?? at, updatedAt: at };
    await this.redis.hset(this.keys.notifications(), name, JSON.stringify(sub));
    return { sub, created: existing === null };
  }

  async get(name: string): Promise<StoredNotification | null> {
    const raw = await this.redis.hget(this.keys.notifications(), name);
    return raw ? StoredNotification.parse(JSON.parse(raw)) : null;
  }

  async list(): Promise<StoredNotification[]> {
    const all = await this.redis.hgetall(this.keys.notifications());
    return Object.values(all)
      .map((raw) => StoredNotification.parse(JSON.parse(raw)))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async delete(name: string): Promise<boolean> {
    const res = (await this.redis.multi().hdel(this.keys.notifications(), name).del(this.keys.notificationDeliveries(name), this.keys.notificationDeliveryOrder(name)).exec()) ?? [];
    return res[0]?.[1] === 1;
  }

  /** Records a new delivery unless it is already recorded (an outbox entry handled twice). Returns true when new. */
  async createDelivery(sub: string, d: NotificationDelivery): Promise<boolean> {
    const created = (await this.redis.hsetnx(this.keys.notificationDeliveries(sub), d.deliveryId, JSON.stringify(d))) === 1;
    if (created) {
      const order = this.keys.notificationDeliveryOrder(sub);
      await this.redis.zadd(order, Date.parse(d.createdAt), d.deliveryId);
      const excess = (await this.redis.zcard(order)) - DELIVERIES_KEPT;
      if (excess > 0) {
        const old = await this.redis.zrange(order, 0, excess - 1);
        await this.redis.multi().zrem(order, ...old).hdel(this.keys.notificationDeliveries(sub), ...old).exec();
      }
    }
    return created;
  }

  async delivery(sub: string, id: string): Promise<NotificationDelivery | null> {
    const raw = await this.redis.hget(this.keys.notificationDeliveries(sub), id);
    return raw ? NotificationDelivery.parse(JSON.parse(raw)) : null;
  }

  async updateDelivery(sub: string, id: string, change: Partial<NotificationDelivery>): Promise<void> {
    const current = await this.delivery(sub, id);
    if (!current) return;
    await this.redis.hset(this.keys.notificationDeliveries(sub), id, JSON.stringify({ ...current, ...change, updatedAt: new Date().toISOString() }));
  }

  /** Newest first; `status` filters (e.g. `failed`: the dead letters). */
  async deliveries(sub: string, limit: number, status?: NotificationDelivery['status']): Promise<NotificationDelivery[]> {
    const ids = await this.redis.zrevrange(this.keys.notificationDeliveryOrder(sub), 0, DELIVERIES_KEPT - 1);
    if (ids.length === 0) return [];
    const rows = await this.redis.hmget(this.keys.notificationDeliveries(sub), ...ids);
    return rows
      .filter((r): r is string => r !== null)
      .map((r) => NotificationDelivery.parse(JSON.parse(r)))
      .filter((d) => status === undefined || d.status === status)
      .slice(0, limit);
  }
}

export function notificationView(s: StoredNotification): NotificationView {
  return {
    name: s.name,
    events: s.events,
    pipelines: s.pipelines ?? null,
    labels: s.labels ?? null,
    target: { type: s.target.type, origin: new URL(s.target.url).origin, secretEnv: s.target.type === 'webhook' && 'env' in s.target.secret ? s.target.secret.env : null },
    dashboardUrl: s.dashboardUrl ?? null,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}
