import { TERMINAL_RUN_STATUSES, type Keys } from '@baton/contracts';
import type { RedisClient } from '@baton/platform';
import { Cluster, type Redis } from 'ioredis';
import { AgentQueues } from '../queues.js';
import { readDoc } from '../run-doc.js';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, BackupError, type BackupHeader, type BackupKey } from './format.js';

/**
 * What a backup leaves out: state that belongs to live processes or is rebuilt on its own —
 * BullMQ's queues (the reconciler re-dispatches the jobs of active runs), leases, rate-limit
 * counters, dashboard sessions, agent heartbeats and control streams, fleet drains, doorbells and
 * the superseded-jobs set (it names jobs of the old queues).
 */
export function excludedPrefixes(k: Keys): string[] {
  return [`${k.bullPrefix}:`, k.lease(''), k.rateLimitPrefix(), k.session(''), k.agent(''), k.control(''), k.fleetDrain('')];
}
const excludedKeys = (k: Keys) => new Set([k.agents(), k.runNotices(), k.supersededJobs()]);

/** Every key of the namespace (all carry its hash tag). */
export async function namespaceKeys(redis: RedisClient, k: Keys): Promise<string[]> {
  const out = new Set<string>();
  const pattern = `${k.hashTag.replace(/[{}[\]*?\\]/g, (c) => `\\${c}`)}:*`;
  // On a cluster the namespace is one slot, on one master; scanning every master finds it.
  const nodes: Redis[] = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      for (const key of batch) out.add(key);
      cursor = next;
    } while (cursor !== '0');
  }
  return [...out];
}

const MAX_TRIES = 5;
const PTTL_NONE = -1;

/**
 * A consistent logical snapshot of one namespace. The keys are listed with SCAN, then every one is
 * read in a single MULTI/EXEC (atomic: no transition lands halfway through it). A run created
 * between the two shows in the run index read inside the transaction without its document; then the
 * keys are listed and read again.
 */
export async function snapshotNamespace(redis: RedisClient, k: Keys, now = Date.now()): Promise<{ header: BackupHeader; keys: BackupKey[] }> {
  const skip = excludedPrefixes(k);
  const skipKeys = excludedKeys(k);
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    const names = (await namespaceKeys(redis, k)).filter((n) => !skipKeys.has(n) && !skip.some((p) => n.startsWith(p))).sort();
    const typePipe = redis.pipeline();
    for (const n of names) typePipe.type(n);
    const types = ((await typePipe.exec()) ?? []).map(([, t]) => String(t));
    const tx = redis.multi();
    tx.zrange(k.runsByCreated(), 0, -1);
    names.forEach((n, i) => {
      switch (types[i]) {
        case 'string':
          tx.get(n);
          break;
        case 'hash':
          tx.hgetall(n);
          break;
        case 'set':
          tx.smembers(n);
          break;
        case 'list':
          tx.lrange(n, 0, -1);
          break;
        case 'zset':
          tx.zrange(n, 0, -1, 'WITHSCORES');
          break;
        case 'stream':
          tx.xrange(n, '-', '+');
          break;
        default:
          tx.exists(n); // gone since it was listed
      }
      tx.pttl(n);
    });
    const replies = (await tx.exec()) ?? [];
    const err = replies.find(([e]) => e);
    if (err) throw new BackupError(`reading the namespace failed: ${String(err[0])}`);
    const runIds = replies[0]![1] as string[];
    const out: BackupKey[] = [];
    names.forEach((n, i) => {
      const value = replies[1 + 2 * i]![1];
      const pttl = Number(replies[2 + 2 * i]![1]);
      if (pttl === -2) return; // deleted between listing and reading
      const base = { name: n.slice(k.hashTag.length), ttlMs: pttl === PTTL_NONE ? null : pttl };
      const type = types[i];
      if (type === 'zset') {
        const flat = value as string[];
        const pairs: [string, string][] = [];
        for (let j = 0; j < flat.length; j += 2) pairs.push([flat[j]!, flat[j + 1]!]);
        out.push({ ...base, type: 'zset', value: pairs });
      } else if (type === 'string' || type === 'hash' || type === 'set' || type === 'list' || type === 'stream') {
        out.push({ ...base, type, value } as BackupKey);
      }
    });
    const runKey = (id: string) => k.run(id).slice(k.hashTag.length);
    const present = new Map(out.map((e) => [e.name, e]));
    if (runIds.some((id) => !present.has(runKey(id)))) continue; // a run was created mid-way: read again
    let active = 0;
    for (const id of runIds) {
      const e = present.get(runKey(id));
      if (e?.type !== 'hash' || !e.value.doc) continue;
      if (!TERMINAL_RUN_STATUSES.has(readDoc(e.value.doc).status)) active++;
    }
    const pausedQueues = await pausedTypes(redis, k, present.get(k.agentTypes().slice(k.hashTag.length)));
    const header: BackupHeader = {
      format: BACKUP_FORMAT,
      formatVersion: BACKUP_FORMAT_VERSION,
      namespace: k.namespace,
      createdAt: new Date(now).toISOString(),
      keys: out.length,
      runs: runIds.length,
      activeRuns: active,
      pausedQueues,
    };
    return { header, keys: out };
  }
  throw new BackupError(`the namespace kept changing under ${MAX_TRIES} snapshot attempts; retry`);
}

async function pausedTypes(redis: RedisClient, k: Keys, agentTypes: BackupKey | undefined): Promise<string[]> {
  if (agentTypes?.type !== 'hash') return [];
  const queues = new AgentQueues(redis, k, 3600);
  try {
    const out: string[] = [];
    for (const type of Object.keys(agentTypes.value).sort()) if (await queues.get(type).isPaused()) out.push(type);
    return out;
  } finally {
    await queues.close();
  }
}

/** The file's text: the header line, then one line per key. */
export function backupLines(s: { header: BackupHeader; keys: BackupKey[] }): string[] {
  return [JSON.stringify(s.header), ...s.keys.map((e) => JSON.stringify(e))];
}
