import type { Keys } from '@baton/contracts';
import type { RedisClient } from '@baton/platform';
import { AgentQueues } from '../queues.js';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, BackupError, BackupHeader, BackupKey } from './format.js';
import { namespaceKeys } from './snapshot.js';

/** Parses a backup file's lines; refuses another format or an incompatible version with a clear message. */
export function parseBackup(lines: string[]): { header: BackupHeader; keys: BackupKey[] } {
  const first = lines[0];
  let raw: unknown;
  try {
    raw = JSON.parse(first ?? '');
  } catch {
    throw new BackupError('not a Baton backup: the first line is not JSON');
  }
  const format = (raw as { format?: unknown } | null)?.format;
  if (format !== BACKUP_FORMAT) throw new BackupError(`not a Baton backup (format ${JSON.stringify(format ?? null)}, expected "${BACKUP_FORMAT}")`);
  const version = (raw as { formatVersion?: unknown }).formatVersion;
  if (version !== BACKUP_FORMAT_VERSION) {
    throw new BackupError(`backup format version ${String(version)} is not supported by this Baton (it reads version ${BACKUP_FORMAT_VERSION}); restore it with the Baton release that wrote it`);
  }
  const header = BackupHeader.parse(raw);
  const keys = lines.slice(1).filter((l) => l.trim() !== '').map((l, i) => {
    const r = BackupKey.safeParse(JSON.parse(l));
    if (!r.success) throw new BackupError(`backup line ${i + 2} is not a key record: ${r.error.issues[0]?.message ?? ''}`);
    return r.data;
  });
  if (keys.length !== header.keys) throw new BackupError(`the backup is truncated: the header says ${header.keys} keys, the file holds ${keys.length}`);
  return { header, keys };
}

const BATCH = 200;

/**
 * Loads a backup into an empty namespace (refused otherwise), possibly another one than it was taken
 * from, and pauses the queues that were paused. Jobs are not restored: the reconciler of the
 * orchestrators started afterwards finds each active run's queued and running stages without a job
 * and dispatches them again, under the same job ids, once (see converge.ts).
 */
export async function restoreNamespace(redis: RedisClient, k: Keys, backup: { header: BackupHeader; keys: BackupKey[] }): Promise<{ keys: number; runs: number }> {
  const existing = await namespaceKeys(redis, k);
  if (existing.length > 0) throw new BackupError(`namespace "${k.namespace}" is not empty (${existing.length} keys); restore only into an empty namespace`);
  for (let i = 0; i < backup.keys.length; i += BATCH) {
    const pipe = redis.pipeline();
    for (const e of backup.keys.slice(i, i + BATCH)) {
      const key = `${k.hashTag}${e.name}`;
      switch (e.type) {
        case 'string':
          pipe.set(key, e.value);
          break;
        case 'hash':
          if (Object.keys(e.value).length > 0) pipe.hset(key, e.value);
          break;
        case 'set':
          if (e.value.length > 0) pipe.sadd(key, ...e.value);
          break;
        case 'list':
          if (e.value.length > 0) pipe.rpush(key, ...e.value);
          break;
        case 'zset':
          if (e.value.length > 0) pipe.zadd(key, ...e.value.flatMap(([member, score]) => [score, member]));
          break;
        case 'stream':
          for (const [id, fields] of e.value) pipe.xadd(key, id, ...fields);
          break;
      }
      if (e.ttlMs !== null && e.ttlMs > 0) pipe.pexpire(key, e.ttlMs);
    }
    const replies = (await pipe.exec()) ?? [];
    const err = replies.find(([x]) => x);
    if (err) throw new BackupError(`restoring failed: ${String(err[0])}`);
  }
  if (backup.header.pausedQueues.length > 0) {
    const queues = new AgentQueues(redis, k, 3600);
    try {
      for (const type of backup.header.pausedQueues) await queues.get(type).pause();
    } finally {
      await queues.close();
    }
  }
  return { keys: backup.keys.length, runs: backup.header.runs };
}
