import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig, RedisConnectionConfig } from './redis-config.js';

/**
 * Connection roles:
 * - `command`: request/response traffic. Fails fast while Redis is down (no offline queue) so HTTP
 *   callers get a 503 at once instead of hanging.
 * - `blocking`: BullMQ workers, XREAD, pub/sub subscribers. Retries forever, queues while reconnecting.
 */
export type RedisRole = 'command' | 'blocking';

/** One client type for every topology: a single Redis or a Sentinel-managed master (`Redis`), or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/** Reconnect forever with a capped back-off; Redis restarts and failovers must heal without a process restart. */
export const reconnectDelay = (times: number): number => Math.min(100 * 2 ** Math.min(times, 6), 2000);

/**
 * After a failover the old master answers writes with READONLY (it is a replica now), or with
 * NOREPLICAS when `min-replicas-to-write` makes it refuse writes once its replica left (a promoted
 * replica leaves at once); a restarted server answers LOADING while it reads its AOF. All mean
 * "this connection points at the wrong server state": reconnect (for Sentinel that asks the
 * sentinels for the current master again) and resend the command (`2`) — it was not executed.
 */
export function reconnectOnError(err: Error): 2 | false {
  return /\b(READONLY|LOADING|NOREPLICAS)\b/.test(err.message) ? 2 : false;
}

function roleOptions(role: RedisRole): RedisOptions {
  return role === 'blocking'
    ? { maxRetriesPerRequest: null, enableOfflineQueue: true }
    : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 };
}

/** Options for a single Redis or a Sentinel-managed master. */
export function redisOptions(config: RedisConnectionConfig, role: RedisRole, name: string): RedisOptions {
  const base: RedisOptions = {
    connectionName: name,
    ...(config.username ? { username: config.username } : {}),
    ...(config.password ? { password: config.password } : {}),
    ...(config.tls ? { tls: config.tls } : {}),
    retryStrategy: reconnectDelay,
    reconnectOnError,
    ...roleOptions(role),
  };
  const s = config.sentinel;
  if (!s) return base;
  return {
    ...base,
    sentinels: s.sentinels,
    name: s.name,
    ...(s.username ? { sentinelUsername: s.username } : {}),
    ...(s.password ? { sentinelPassword: s.password } : {}),
    ...(config.tls ? { enableTLSForSentinelMode: true, sentinelTLS: config.tls } : {}),
    // Keep asking the sentinels (never give up while they are all unreachable).
    sentinelRetryStrategy: reconnectDelay,
    // Subscribe to +switch-master and drop connections to the old master at once.
    failoverDetector: true,
  };
}

/** Options for a Redis Cluster client; per-node settings (auth, TLS, role) go in `redisOptions`. */
export function clusterOptions(config: RedisConnectionConfig, role: RedisRole, name: string): ClusterOptions {
  const { enableOfflineQueue, ...perNode } = roleOptions(role);
  return {
    clusterRetryStrategy: reconnectDelay,
    enableOfflineQueue: enableOfflineQueue ?? true,
    // A failover takes a few seconds: keep redirected/TRYAGAIN/CLUSTERDOWN commands retrying meanwhile.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 200,
    // Notice topology changes (a failover) even when no command was redirected yet.
    slotsRefreshInterval: 2000,
    redisOptions: {
      connectionName: name,
      ...(config.username ? { username: config.username } : {}),
      ...(config.password ? { password: config.password } : {}),
      ...(config.tls ? { tls: config.tls } : {}),
      reconnectOnError,
      ...perNode,
    },
  };
}

export function createRedis(config: RedisConfig, role: RedisRole, name: string, log?: Logger): RedisClient {
  const client: RedisClient = config.cluster
    ? new Cluster(config.cluster.nodes, clusterOptions(config, role, name))
    : config.sentinel
      ? new Redis(redisOptions(config, role, name))
      : new Redis(config.url, redisOptions(config, role, name));
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

/** The servers that hold the deployment's data: the client itself, or every master of a cluster. */
function dataNodes(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
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

/**
 * Baton's durability needs `maxmemory-policy noeviction`: any other policy can silently drop runs or
 * jobs. On a cluster every master is checked (INFO is per node; the namespace's slot may move).
 */
export async function checkEvictionPolicy(client: RedisClient): Promise<EvictionCheck> {
  // A cluster client knows its masters once it has loaded the slot map.
  if (client instanceof Cluster && client.status !== 'ready') await client.ping();
  const nodes = dataNodes(client);
  if (nodes.length === 0) throw new Error('no Redis master is connected yet');
  const policies = await Promise.all(nodes.map((n) => redisInfoField(n, 'memory', 'maxmemory_policy')));
  const bad = policies.find((p) => p !== 'noeviction');
  if (bad === undefined) return { ok: true, policy: 'noeviction', message: 'maxmemory-policy is noeviction' };
  const where = nodes.length > 1 ? ' on at least one cluster master' : '';
  return {
    ok: false,
    policy: bad,
    message: `Redis maxmemory-policy is "${bad ?? 'unknown'}"${where}; Baton needs "noeviction" or Redis may evict runs and jobs under memory pressure. Set "maxmemory-policy noeviction" in redis.conf (or CONFIG SET maxmemory-policy noeviction).`,
  };
}

/**
 * ioredis writes SUBSCRIBE on a connection still in its handshake; the reply puts it in subscriber
 * mode before its ready check (INFO), which then fails, and the subscription was lost for good (about
 * one start in 40). Subscribing once the connection is ready avoids that.
 */
export async function whenReady(c: RedisClient): Promise<void> {
  if (c.status === 'ready') return;
  await new Promise<void>((resolve) => c.once('ready', () => resolve()));
}
