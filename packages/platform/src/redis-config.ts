import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './env.js';

/** Redis connection settings shared by every Baton process (see README "Configuration"). */
export const RedisEnv = z.object({
  /** A single Redis (the default topology). */
  REDIS_URL: z.string().url().optional(),
  /** Redis Cluster: seed nodes, `host:port,host:port` (any subset of the cluster). */
  REDIS_CLUSTER_NODES: z.string().optional(),
  /** Redis Sentinel: the sentinels, `host:port,host:port`, and the master's name. */
  REDIS_SENTINELS: z.string().optional(),
  REDIS_SENTINEL_NAME: z.string().optional(),
  /** Credentials for the sentinels themselves (when they have `requirepass` / an ACL user). */
  REDIS_SENTINEL_USERNAME: z.string().optional(),
  REDIS_SENTINEL_PASSWORD: z.string().optional(),
  REDIS_USERNAME: z.string().optional(),
  REDIS_PASSWORD: z.string().optional(),
  /** `true` to use TLS even with a `redis://` URL (`rediss://` always does). */
  REDIS_TLS: z.enum(['true', 'false']).optional(),
  REDIS_TLS_CA_FILE: z.string().optional(),
  REDIS_TLS_REJECT_UNAUTHORIZED: z.enum(['true', 'false']).default('true'),
  BATON_NAMESPACE: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/).default('baton'),
});
export type RedisEnv = z.infer<typeof RedisEnv>;

export interface RedisNode {
  host: string;
  port: number;
}

export interface RedisSentinelTarget {
  sentinels: RedisNode[];
  /** The master's name in the sentinels' configuration (`sentinel monitor <name> ...`). */
  name: string;
  username?: string;
  password?: string;
}

/**
 * Where Redis is: one server, a cluster (seed nodes), or a Sentinel-managed master. Exactly one.
 * Plain data, so it can be handed to a worker thread or another process.
 */
export type RedisTarget =
  | { url: string; cluster?: undefined; sentinel?: undefined }
  | { cluster: { nodes: RedisNode[] }; url?: undefined; sentinel?: undefined }
  | { sentinel: RedisSentinelTarget; url?: undefined; cluster?: undefined };

export interface RedisAuth {
  username?: string;
  password?: string;
  tls?: { ca?: string; rejectUnauthorized: boolean };
}

export type RedisConnectionConfig = RedisTarget & RedisAuth;
export type RedisConfig = RedisConnectionConfig & { namespace: string };

export type RedisTopology = 'single' | 'cluster' | 'sentinel';

export function redisTopology(target: RedisTarget): RedisTopology {
  if (target.cluster) return 'cluster';
  if (target.sentinel) return 'sentinel';
  return 'single';
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

const NODE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Parses `host:port,host:port` (IPv6 as `[::1]:7000`); every problem is collected. */
export function parseNodeList(value: string, variable: string, problems: string[]): RedisNode[] {
  const nodes: RedisNode[] = [];
  for (const raw of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = NODE.exec(raw);
    const port = m ? Number(m[2]) : NaN;
    if (!m || port < 1 || port > 65535) {
      problems.push(`${variable}: "${raw}" is not host:port`);
      continue;
    }
    nodes.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
  }
  if (nodes.length === 0 && problems.length === 0) problems.push(`${variable}: give at least one host:port`);
  return nodes;
}

function targetFromEnv(env: RedisEnv, problems: string[]): RedisTarget {
  const given = (['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const).filter((k) => env[k] !== undefined);
  if (given.length > 1) problems.push(`${given.join(' and ')} are set; choose one: a single Redis, a cluster or Sentinel`);
  if (env.REDIS_SENTINEL_NAME !== undefined && env.REDIS_SENTINELS === undefined) problems.push('REDIS_SENTINEL_NAME is set without REDIS_SENTINELS');
  if (env.REDIS_CLUSTER_NODES !== undefined) {
    return { cluster: { nodes: parseNodeList(env.REDIS_CLUSTER_NODES, 'REDIS_CLUSTER_NODES', problems) } };
  }
  if (env.REDIS_SENTINELS !== undefined) {
    const sentinels = parseNodeList(env.REDIS_SENTINELS, 'REDIS_SENTINELS', problems);
    if (!env.REDIS_SENTINEL_NAME) problems.push('REDIS_SENTINELS needs REDIS_SENTINEL_NAME (the master name the sentinels monitor)');
    return {
      sentinel: {
        sentinels,
        name: env.REDIS_SENTINEL_NAME ?? '',
        ...(env.REDIS_SENTINEL_USERNAME ? { username: env.REDIS_SENTINEL_USERNAME } : {}),
        ...(env.REDIS_SENTINEL_PASSWORD ? { password: env.REDIS_SENTINEL_PASSWORD } : {}),
      },
    };
  }
  return { url: env.REDIS_URL ?? DEFAULT_REDIS_URL };
}

/** Builds the connection config; throws ConfigError listing every problem (e.g. both cluster and Sentinel set). */
export function redisConfigFromEnv(env: RedisEnv): RedisConfig {
  const problems: string[] = [];
  const target = targetFromEnv(env, problems);
  const useTls = env.REDIS_TLS === 'true' || (target.url?.startsWith('rediss://') ?? false);
  let ca: string | undefined;
  if (useTls && env.REDIS_TLS_CA_FILE) {
    try {
      ca = readFileSync(env.REDIS_TLS_CA_FILE, 'utf8');
    } catch {
      problems.push(`REDIS_TLS_CA_FILE: cannot read "${env.REDIS_TLS_CA_FILE}"`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...target,
    ...(env.REDIS_USERNAME ? { username: env.REDIS_USERNAME } : {}),
    ...(env.REDIS_PASSWORD ? { password: env.REDIS_PASSWORD } : {}),
    ...(useTls ? { tls: { ...(ca !== undefined ? { ca } : {}), rejectUnauthorized: env.REDIS_TLS_REJECT_UNAUTHORIZED === 'true' } } : {}),
    namespace: env.BATON_NAMESPACE,
  };
}

/** The environment variables that select `target` (the inverse of redisConfigFromEnv, for child processes). */
export function redisTargetEnv(target: RedisTarget): Record<string, string> {
  const list = (nodes: RedisNode[]) => nodes.map((n) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`)).join(',');
  if (target.cluster) return { REDIS_CLUSTER_NODES: list(target.cluster.nodes) };
  if (target.sentinel) {
    const s = target.sentinel;
    return {
      REDIS_SENTINELS: list(s.sentinels),
      REDIS_SENTINEL_NAME: s.name,
      ...(s.username ? { REDIS_SENTINEL_USERNAME: s.username } : {}),
      ...(s.password ? { REDIS_SENTINEL_PASSWORD: s.password } : {}),
    };
  }
  return { REDIS_URL: target.url };
}

/** Where `target` points, safe for logs (passwords masked). */
export function describeRedisTarget(target: RedisTarget): string {
  const list = (nodes: RedisNode[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  if (target.cluster) return `cluster ${list(target.cluster.nodes)}`;
  if (target.sentinel) return `sentinel ${target.sentinel.name}@${list(target.sentinel.sentinels)}`;
  return redactUrl(target.url);
}

/** The URL with any password masked, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}
