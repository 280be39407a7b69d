import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestRedis } from './redis-server.js';
import { DURABLE_ARGS, freePorts, infoField, nodeCommand, ServerGroup } from './server-group.js';
import { waitFor } from './wait-for.js';

export const SENTINEL_MASTER_NAME = 'baton-test';

/** A local Sentinel setup: one master, one replica, three sentinels (`redis-server <conf> --sentinel`). */
export interface TestRedisSentinel extends TestRedis {
  readonly sentinelPorts: number[];
  /** The port of the current master, as the sentinels report it. */
  masterPort(): Promise<number>;
  /** The port of the current replica. */
  replicaPort(): Promise<number>;
  /** `SENTINEL FAILOVER`; resolves once every sentinel names the replica as master and it accepts writes. */
  failover(): Promise<{ from: number; to: number }>;
}

async function masterAddr(sentinelPort: number): Promise<number> {
  const addr = (await nodeCommand(sentinelPort, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME)) as string[] | null;
  if (!addr) throw new Error(`sentinel ${sentinelPort} does not know ${SENTINEL_MASTER_NAME}`);
  return Number(addr[1]);
}

/** Every sentinel names `master`, knows the replica and the other two sentinels; the master sees its replica online. */
async function settled(sentinels: number[], master: number): Promise<boolean> {
  for (const s of sentinels) {
    if ((await masterAddr(s)) !== master) return false;
    const m = (await nodeCommand(s, 'SENTINEL', 'MASTER', SENTINEL_MASTER_NAME)) as string[];
    const field = (name: string) => m[m.indexOf(name) + 1];
    if (field('num-slaves') !== '1' || field('num-other-sentinels') !== String(sentinels.length - 1)) return false;
    if (!field('flags')?.split(',').every((f) => f === 'master')) return false;
  }
  const info = await nodeCommand(master, 'INFO', 'replication');
  return infoField(info, 'role') === 'master' && infoField(info, 'connected_slaves') === '1' && /state=online/.test(String(info));
}

/**
 * Starts a master and a replica (AOF on) and three sentinels monitoring them (quorum 2), each
 * sentinel with its own writable config file in a temp dir; waits until the sentinels have found
 * each other and the replica. On any failure the started servers are killed.
 */
export async function startRedisSentinel(): Promise<TestRedisSentinel> {
  const group = new ServerGroup('baton-sentinel-');
  try {
    const [master, replica, ...sentinels] = (await freePorts(5)) as [number, number, number, number, number];
    // min-replicas-to-write: a master whose replica left (was promoted) refuses writes at once, so
    // a forced failover cannot acknowledge writes on the old master that the new one never sees.
    const data = (port: number) => [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', group.dir, '--appendfilename', `appendonly-${port}.aof`, '--appenddirname', `aof-${port}`,
      '--min-replicas-to-write', '1', '--min-replicas-max-lag', '10', ...DURABLE_ARGS,
    ];
    await group.start(master, data(master));
    await group.start(replica, [...data(replica), '--replicaof', '127.0.0.1', String(master)]);
    await Promise.all(
      sentinels.map(async (port) => {
        const conf = join(group.dir, `sentinel-${port}.conf`);
        writeFileSync(
          conf,
          [
            `port ${port}`,
            'bind 127.0.0.1',
            `dir ${group.dir}`,
            `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${master} 2`,
            `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 3000`,
            `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 10000`,
            `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
            '',
          ].join('\n'),
        );
        await group.start(port, [conf, '--sentinel']);
      }),
    );
    await waitFor(() => settled(sentinels, master), { what: 'sentinels agreeing on the master and its replica', timeoutMs: 30_000, intervalMs: 200 });

    const masterPort = () => masterAddr(sentinels[0]!);
    return {
      url: `redis://127.0.0.1:${master}`,
      target: { sentinel: { sentinels: sentinels.map((port) => ({ host: '127.0.0.1', port })), name: SENTINEL_MASTER_NAME } },
      sentinelPorts: sentinels,
      mode: 'local',
      controllable: false,
      kill: () => Promise.reject(new Error('use failover() on a Sentinel setup')),
      start: () => Promise.reject(new Error('a test Sentinel setup cannot be restarted')),
      stop: () => group.stop(),
      command: async (...args) => nodeCommand(await masterPort(), ...args),
      masterPort,
      replicaPort: async () => ((await masterPort()) === master ? replica : master),
      async failover() {
        const from = await masterPort();
        const to = from === master ? replica : master;
        await nodeCommand(sentinels[0]!, 'SENTINEL', 'FAILOVER', SENTINEL_MASTER_NAME);
        await waitFor(
          async () => {
            for (const s of sentinels) if ((await masterAddr(s)) !== to) return false;
            return infoField(await nodeCommand(to, 'INFO', 'replication'), 'role') === 'master';
          },
          { what: `sentinel failover ${from} -> ${to}`, timeoutMs: 30_000, intervalMs: 100 },
        );
        return { from, to };
      },
    };
  } catch (e: unknown) {
    await group.stop();
    throw e;
  }
}
