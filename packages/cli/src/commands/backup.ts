import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { keys as keysFor } from '@baton/contracts';
import { backupLines, BackupError, parseBackup, restoreNamespace, snapshotNamespace } from '@baton/orchestrator';
import { createRedis, redisConfigFromEnv, RedisEnv, whenReady, type RedisClient } from '@baton/platform';
import type { Command } from 'commander';
import { action, output, UsageError } from '../cli-context.js';

interface RedisOpts {
  redisUrl?: string;
  namespace?: string;
}

/** The Redis and namespace from --redis-url / --namespace, else REDIS_* and BATON_NAMESPACE as the other processes read them. */
async function withRedis<T>(o: RedisOpts, fn: (redis: RedisClient, ns: string) => Promise<T>): Promise<T> {
  const parsed = RedisEnv.safeParse({ ...process.env, ...(o.redisUrl ? { REDIS_URL: o.redisUrl } : {}), ...(o.namespace ? { BATON_NAMESPACE: o.namespace } : {}) });
  if (!parsed.success) throw new UsageError(`bad Redis settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const config = redisConfigFromEnv(parsed.data.REDIS_URL || parsed.data.REDIS_CLUSTER_NODES || parsed.data.REDIS_SENTINELS ? parsed.data : { ...parsed.data, REDIS_URL: 'redis://127.0.0.1:6379' });
  const redis = createRedis(config, 'command', 'baton-backup');
  try {
    await whenReady(redis);
    return await fn(redis, config.namespace);
  } finally {
    redis.disconnect();
  }
}

const redisOptions = (cmd: Command) =>
  cmd.option('--redis-url <url>', 'Redis (default: REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS)').option('--namespace <ns>', 'Baton namespace (default: BATON_NAMESPACE or "baton")');

function guard<T>(fn: () => Promise<T>): Promise<T> {
  return fn().catch((e: unknown) => {
    if (e instanceof BackupError) throw new UsageError(`error: ${e.message}`);
    throw e;
  });
}

export function registerBackup(program: Command): void {
  redisOptions(program.command('backup <file>').description('write a consistent logical snapshot of one namespace (pipelines, runs with events, API keys, queue pause state)')).action(
    action(async (file: string, opts: RedisOpts, cmd: Command) =>
      guard(() =>
        withRedis(opts, async (redis, ns) => {
          const snap = await snapshotNamespace(redis, keysFor(ns));
          const tmp = `${file}.partial`;
          writeFileSync(tmp, `${backupLines(snap).join('\n')}\n`, { mode: 0o600 });
          renameSync(tmp, file);
          output(cmd, snap.header, () => `${file}: namespace "${ns}", ${snap.header.runs} runs (${snap.header.activeRuns} active), ${snap.header.keys} keys`);
        }),
      ),
    ),
  );

  redisOptions(program.command('restore <file>').description('load a backup into an empty namespace; active runs continue once an orchestrator runs')).action(
    action(async (file: string, opts: RedisOpts, cmd: Command) =>
      guard(async () => {
        const backup = parseBackup(readFileSync(file, 'utf8').split('\n'));
        await withRedis(opts, async (redis, ns) => {
          const r = await restoreNamespace(redis, keysFor(ns), backup);
          output(cmd, { ...r, namespace: ns, from: backup.header.namespace, takenAt: backup.header.createdAt }, () => `restored ${r.runs} runs (${r.keys} keys) into namespace "${ns}" from a backup of "${backup.header.namespace}" taken ${backup.header.createdAt}`);
        });
      }),
    ),
  );
}
