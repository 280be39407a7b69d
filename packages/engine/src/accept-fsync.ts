import { ConfigError, type RedisClient } from '@baton/platform';

/**
 * BATON_ACCEPT_FSYNC: a run is acknowledged only once Redis has fsynced it to its AOF (`WAITAOF`,
 * Redis >= 7.2). Checked at start-up: asked for on a server that cannot do it, the orchestrator
 * refuses to start rather than acknowledge runs a host crash could lose.
 */

const MIN_VERSION = [7, 2] as const;

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/** Throws a ConfigError naming the reason when this Redis cannot acknowledge after fsync. */
export async function requireWaitAof(redis: RedisClient): Promise<void> {
  const server = await redis.info('server');
  const version = infoField(server, 'redis_version') ?? '0';
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1])) {
    throw new ConfigError([
      `BATON_ACCEPT_FSYNC=true needs Redis >= ${MIN_VERSION.join('.')} (WAITAOF); this server is ${version}. Upgrade Redis, or unset BATON_ACCEPT_FSYNC and accept the appendfsync window (README "Durability of an accepted run").`,
    ]);
  }
  const persistence = await redis.info('persistence');
  if (infoField(persistence, 'aof_enabled') !== '1') {
    throw new ConfigError(['BATON_ACCEPT_FSYNC=true needs the AOF on (appendonly yes): without it there is nothing to fsync']);
  }
}
