import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv } from '../src/env.js';
import { clusterOptions, redisOptions, reconnectOnError } from '../src/redis.js';
import { describeRedisTarget, redisConfigFromEnv, RedisEnv, redisTargetEnv } from '../src/redis-config.js';

const fromEnv = (env: Record<string, string>) => redisConfigFromEnv(parseEnv(RedisEnv, env));
const problems = (env: Record<string, string>): string[] => {
  try {
    fromEnv(env);
  } catch (e: unknown) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe('Redis configuration from the environment', () => {
  it('defaults to one local Redis and keeps a URL as given', () => {
    expect(fromEnv({})).toEqual({ url: 'redis://127.0.0.1:6379', namespace: 'baton' });
    expect(fromEnv({ REDIS_URL: 'rediss://r.example:6380', REDIS_PASSWORD: 'pw' })).toMatchObject({ url: 'rediss://r.example:6380', password: 'pw', tls: { rejectUnauthorized: true } });
  });

  it('reads cluster nodes and Sentinel settings, with credentials and TLS', () => {
    expect(fromEnv({ REDIS_CLUSTER_NODES: 'a.example:7000, 10.0.0.2:7001,[::1]:7002', REDIS_USERNAME: 'baton', REDIS_PASSWORD: 'pw', REDIS_TLS: 'true' })).toEqual({
      cluster: { nodes: [{ host: 'a.example', port: 7000 }, { host: '10.0.0.2', port: 7001 }, { host: '::1', port: 7002 }] },
      username: 'baton',
      password: 'pw',
      tls: { rejectUnauthorized: true },
      namespace: 'baton',
    });
    const s = fromEnv({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'mymaster', REDIS_SENTINEL_PASSWORD: 'spw', BATON_NAMESPACE: 'team-a' });
    expect(s).toEqual({ sentinel: { sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }], name: 'mymaster', password: 'spw' }, namespace: 'team-a' });
    // The inverse, for child processes, round-trips.
    expect(fromEnv({ ...redisTargetEnv(s), BATON_NAMESPACE: 'team-a', REDIS_SENTINEL_PASSWORD: 'spw' })).toEqual(s);
    expect(describeRedisTarget(s)).toBe('sentinel mymaster@s1:26379,s2:26379');
  });

  it('names every problem: two topologies, a missing master name, bad nodes', () => {
    expect(problems({ REDIS_URL: 'redis://x:1', REDIS_CLUSTER_NODES: 'a:1' })).toEqual(['REDIS_URL and REDIS_CLUSTER_NODES are set; choose one: a single Redis, a cluster or Sentinel']);
    expect(problems({ REDIS_SENTINELS: 's:26379' })).toEqual(['REDIS_SENTINELS needs REDIS_SENTINEL_NAME (the master name the sentinels monitor)']);
    expect(problems({ REDIS_SENTINEL_NAME: 'm' })).toEqual(['REDIS_SENTINEL_NAME is set without REDIS_SENTINELS']);
    expect(problems({ REDIS_CLUSTER_NODES: 'a:1,b,c:99999' })).toEqual(['REDIS_CLUSTER_NODES: "b" is not host:port', 'REDIS_CLUSTER_NODES: "c:99999" is not host:port']);
    expect(problems({ REDIS_CLUSTER_NODES: ' , ' })).toEqual(['REDIS_CLUSTER_NODES: give at least one host:port']);
  });

  it('gives every topology the same reconnect behaviour', () => {
    expect(reconnectOnError(new Error("READONLY You can't write against a read only replica."))).toBe(2);
    expect(reconnectOnError(new Error('LOADING Redis is loading the dataset in memory'))).toBe(2);
    expect(reconnectOnError(new Error('NOREPLICAS Not enough good replicas to write.'))).toBe(2);
    expect(reconnectOnError(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    const sentinel = redisOptions({ sentinel: { sentinels: [{ host: 's', port: 1 }], name: 'm' }, password: 'pw' }, 'blocking', 'n');
    expect(sentinel).toMatchObject({ name: 'm', password: 'pw', maxRetriesPerRequest: null, failoverDetector: true, reconnectOnError });
    const cluster = clusterOptions({ cluster: { nodes: [{ host: 'a', port: 1 }] }, password: 'pw' }, 'blocking', 'n');
    // BullMQ requires maxRetriesPerRequest: null on a blocking cluster connection's nodes.
    expect(cluster.redisOptions).toMatchObject({ password: 'pw', maxRetriesPerRequest: null, reconnectOnError, connectionName: 'n' });
    expect(clusterOptions({ cluster: { nodes: [] } }, 'command', 'n')).toMatchObject({ enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: 1 } });
  });
});
