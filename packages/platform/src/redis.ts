import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from './redis-config.js';

/**
 * Connection roles:
 * - `command`: request/response traffic. Fails fast while Redis is down (no offline queue) so HTTP
 *   callers get a 503 at once instead of hanging.
 * - `blocking`: BullMQ workers, XREAD, pub/sub subscribers. Retries forever, queues while reconnecting.
 */
export type RedisRole = 'command' | 'blocking';

export function redisOptions(config: RedisConfig, role: RedisRole, name: string): RedisOptions {
  const base: RedisOptions = {
    connectionName: name,
    ...(config.username ? { username: config.username } : {}),
    ...(config.password ? { password: config.password } : {}),
    ...(config.tls ? { tls: config.tls } : {}),
    // Reconnect forever with a capped back-off; Redis restarts must heal without a process restart.
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 2000),
    reconnectOnError: (err) => /READONLY|LOADING/.test(err.message),
  };
  return role === 'blocking'
    ? { ...base, maxRetriesPerRequest: null, enableOfflineQueue: true }
    : { ...base, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 };
}

export function createRedis(config: RedisConfig, role: RedisRole, name: string, log?: Logger): Redis {
  const client = new Redis(config.url, redisOptions(config, role, name));
  let lastError = '';
  client.on('error', (err: Error) => {
    // ioredis repeats the same error on every reconnect attempt; log each distinct one once.
    if (err.message !== lastError) log?.warn({ err, connection: name }, 'redis connection error');
    lastError = err.message;
  });
  client.on('ready', () => {
    if (lastError) log?.info({ connection: name }, 'redis connection restored');
    lastError = '';
  });
  return client;
}

/** Reads a field from `INFO <section>` (works on managed Redis where CONFIG is disabled). */
export async function redisInfoField(client: Redis, section: string, field: string): Promise<string | null> {
  const info = await client.info(section);
  const line = info.split(/\r?\n/).find((l) => l.startsWith(`${field}:`));
  return line ? line.slice(field.length + 1).trim() : null;
}

export interface EvictionCheck {
  ok: boolean;
  policy: string | null;
  message: string;
}

/** Baton's durability needs `maxmemory-policy noeviction`: any other policy can silently drop runs or jobs. */
export async function checkEvictionPolicy(client: Redis): Promise<EvictionCheck> {
  const policy = await redisInfoField(client, 'memory', 'maxmemory_policy');
  if (policy === 'noeviction') return { ok: true, policy, message: 'maxmemory-policy is noeviction' };
  return {
    ok: false,
    policy,
    message: `Redis maxmemory-policy is "${policy ?? 'unknown'}"; Baton needs "noeviction" or Redis may evict runs and jobs under memory pressure. Set "maxmemory-policy noeviction" in redis.conf (or CONFIG SET maxmemory-policy noeviction).`,
  };
}
