import type { Keys } from '@baton/contracts';
import type { Engine } from '@baton/engine';
import type { Logger, RedisClient } from '@baton/platform';
import type { RunNoticeHub } from './run-notice-hub.js';
import type { Scheduler } from './schedules/scheduler.js';

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
}

declare module 'fastify' {
  interface FastifyInstance {
    baton: Services;
  }
}
