import type { Keys } from '@baton/contracts';
import type { Engine } from '@baton/engine';
import type { Logger, RedisClient } from '@baton/platform';
import type { RunNoticeHub } from './run-notice-hub.js';
import type { Scheduler } from './schedules/scheduler.js';
import type { Queue } from 'bullmq';
import type { NotificationStore } from './notifications/notification-store.js';
import type { DeliveryJob } from './notifications/outbox-relay.js';

/** Everything routes need, shared through one Fastify decoration. */
export interface Services {
  engine: Engine;
  redis: RedisClient;
  keys: Keys;
  notices: RunNoticeHub;
  log: Logger;
  /** BATON_SECRET_* values by name (trigger and notification secrets are references to them). */
  secrets: Readonly<Record<string, string>>;
  scheduler: Scheduler;
  notifications: { store: NotificationStore; queue: Queue<DeliveryJob> };
}

declare module 'fastify' {
  interface FastifyInstance {
    baton: Services;
  }
}
