import { spawn } from 'node:child_process';
import type { RedisNode } from '@baton/platform';
import type { TestRedis } from './redis-server.js';
import { DURABLE_ARGS, freePorts, infoField, nodeCommand, ServerGroup } from './server-group.js';
import { waitFor } from './wait-for.js';

/** A local Redis Cluster: three masters, three replicas, each a `redis-server --cluster-enabled yes`. */
export interface TestRedisCluster extends TestRedis {
  readonly nodes: RedisNode[];
  /** The master currently serving `key`'s slot, and its replica. */
  shardOf(key: string): Promise<{ master: number; replica: number; slot: number }>;
  /**
   * `CLUSTER FAILOVER` on the replica of the master serving `key`'s slot; resolves once every node
   * agrees the replica is the slot's master. Returns the old and new master ports.
   */
  failover(key: string): Promise<{ from: number; to: number }>;
}

interface ClusterNodeLine {
  id: string;
  port: number;
  master: boolean;
  masterId: string;
  ranges: [number, number][];
}

function parseClusterNodes(text: unknown): ClusterNodeLine[] {
  return String(text)
    .trim()
    .split('\n')
    .map((line) => {
      const [id, addr, flags, masterId, , , , , ...slots] = line.trim().split(' ');
      const ranges = slots
        .filter((s) => !s.startsWith('['))
        .map((s) => s.split('-').map(Number))
        .map(([a, b]) => [a!, b ?? a!] as [number, number]);
      return { id: id!, port: Number(addr!.split('@')[0]!.split(':').pop()), master: flags!.split(',').includes('master'), masterId: masterId!, ranges };
    });
}

async function run(cmd: string, args: string[]): Promise<void> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}: ${out.slice(-2000)}`);
}

/**
 * Every node says cluster_state:ok and sees three masters serving slots, each with one replica
 * whose replication link is up.
 */
async function healthy(ports: number[]): Promise<boolean> {
  for (const p of ports) {
    if (infoField(await nodeCommand(p, 'CLUSTER', 'INFO'), 'cluster_state') !== 'ok') return false;
    const nodes = parseClusterNodes(await nodeCommand(p, 'CLUSTER', 'NODES'));
    const masters = nodes.filter((n) => n.master && n.ranges.length > 0);
    if (nodes.length !== ports.length || masters.length !== ports.length / 2) return false;
    if (!masters.every((m) => nodes.some((r) => !r.master && r.masterId === m.id))) return false;
  }
  for (const p of ports) {
    const info = await nodeCommand(p, 'INFO', 'replication');
    if (infoField(info, 'role') === 'slave' && infoField(info, 'master_link_status') !== 'up') return false;
  }
  return true;
}

/**
 * Starts six nodes on free ports in a temp dir (client and bus ports chosen explicitly), creates the
 * cluster with `redis-cli --cluster create ... --cluster-replicas 1` and waits until every node
 * reports `cluster_state:ok`. On any failure the started servers are killed.
 */
export async function startRedisCluster(): Promise<TestRedisCluster> {
  const group = new ServerGroup('baton-cluster-');
  try {
    const all = await freePorts(12);
    const ports = all.slice(0, 6);
    await Promise.all(
      ports.map(async (port, i) => {
        const bus = all[6 + i]!;
        await group.start(port, [
          '--port', String(port), '--cluster-port', String(bus), '--bind', '127.0.0.1',
          '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '3000',
          '--dir', group.dir, '--appendfilename', `appendonly-${port}.aof`, '--appenddirname', `aof-${port}`, ...DURABLE_ARGS,
        ]);
      }),
    );
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes']);
    await waitFor(() => healthy(ports), { what: 'cluster_state:ok on every node', timeoutMs: 30_000, intervalMs: 200 });

    const shardOf = async (key: string) => {
      const slot = Number(await nodeCommand(ports[0]!, 'CLUSTER', 'KEYSLOT', key));
      const nodes = parseClusterNodes(await nodeCommand(ports[0]!, 'CLUSTER', 'NODES'));
      const master = nodes.find((n) => n.master && n.ranges.some(([a, b]) => slot >= a && slot <= b));
      const replica = master && nodes.find((n) => !n.master && n.masterId === master.id);
      if (!master || !replica) throw new Error(`no master with a replica serves slot ${slot}`);
      return { master: master.port, replica: replica.port, slot };
    };

    const cluster: TestRedisCluster = {
      url: `redis://127.0.0.1:${ports[0]}`,
      target: { cluster: { nodes: ports.map((port) => ({ host: '127.0.0.1', port })) } },
      nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
      mode: 'local',
      controllable: false,
      kill: () => Promise.reject(new Error('kill a cluster node with failover() instead')),
      start: () => Promise.reject(new Error('a test cluster cannot be restarted')),
      stop: () => group.stop(),
      command: (...args) => nodeCommand(ports[0]!, ...args),
      shardOf,
      async failover(key) {
        const { master, replica } = await shardOf(key);
        await nodeCommand(replica, 'CLUSTER', 'FAILOVER');
        await waitFor(
          async () => {
            for (const p of ports) {
              const now = parseClusterNodes(await nodeCommand(p, 'CLUSTER', 'NODES'));
              if (!now.find((n) => n.port === replica)?.master || now.find((n) => n.port === master)?.master) return false;
            }
            return healthy(ports);
          },
          { what: `failover of ${master} to ${replica}`, timeoutMs: 30_000, intervalMs: 100 },
        );
        return { from: master, to: replica };
      },
    };
    return cluster;
  } catch (e: unknown) {
    await group.stop();
    throw e;
  }
}
