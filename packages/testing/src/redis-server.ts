import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '@baton/platform';
import type { TestRedisTarget } from './in-process.js';
import { waitFor } from './wait-for.js';

/** A Redis for one test file. `kill`/`start` exist when the fixture controls the server process. */
export interface TestRedis {
  /** A server's URL: the Redis itself, or for a cluster / Sentinel setup one of its nodes (for `command`). */
  readonly url: string;
  /** How Baton processes connect to it: the URL, or a cluster / Sentinel connection config. */
  readonly target: TestRedisTarget;
  readonly mode: 'local' | 'container' | 'external';
  /** True when kill/start work (local redis-server or container). */
  readonly controllable: boolean;
  /** kill -9 the server (AOF keeps what was acknowledged). */
  kill(): Promise<void>;
  /** Start it again on the same port and data directory (after kill). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Runs a redis command on a short-lived connection. */
  command(...args: (string | number)[]): Promise<unknown>;
}

export interface RedisOptions {
  /** Extra redis-server arguments, e.g. ['--maxmemory', '20mb']. */
  args?: string[];
}

const BASE_ARGS = ['--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction'];

/** True once a Redis at `url` answers PING (never queues, never retries: for polling with waitFor). */
export async function pingRedis(url: string): Promise<boolean> {
  const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return (await c.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

async function run(url: string, args: (string | number)[]): Promise<unknown> {
  const c = new Redis(url, { maxRetriesPerRequest: 1 });
  c.on('error', () => undefined);
  try {
    const [cmd, ...rest] = args;
    return await c.call(String(cmd), ...rest.map(String));
  } finally {
    c.disconnect();
  }
}

/** A `redis-server` child process on a free port with AOF in a temp dir. */
async function startLocal(opts: RedisOptions): Promise<TestRedis> {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error('redis-server is not installed: install it (apt-get install redis-server / brew install redis), or set REDIS_URL');
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'baton-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const launch = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...BASE_ARGS, ...(opts.args ?? [])], { stdio: 'ignore' });
    await waitFor(() => pingRedis(url), { what: `redis-server on ${port}`, timeoutMs: 15_000 });
  };
  const killWith = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    await exited;
    child = null;
  };
  await launch();
  return {
    url,
    target: url,
    mode: 'local',
    controllable: true,
    kill: () => killWith('SIGKILL'),
    start: launch,
    async stop() {
      await killWith('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
    command: (...args) => run(url, args),
  };
}

/** redis:7 in a container via testcontainers, on a fixed host port so clients survive a restart. */
async function startContainer(opts: RedisOptions): Promise<TestRedis> {
  const { GenericContainer, getContainerRuntimeClient } = await import('testcontainers');
  const port = await freePort();
  const container = await new GenericContainer('redis:7-alpine')
    .withCommand(['redis-server', ...BASE_ARGS, ...(opts.args ?? [])])
    .withExposedPorts({ container: 6379, host: port })
    .start();
  const client = await getContainerRuntimeClient();
  const handle = client.container.getById(container.getId());
  const url = `redis://127.0.0.1:${port}`;
  await waitFor(() => pingRedis(url), { what: 'redis container', timeoutMs: 30_000 });
  return {
    url,
    target: url,
    mode: 'container',
    controllable: true,
    async kill() {
      await handle.kill({ signal: 'SIGKILL' });
    },
    async start() {
      await handle.start();
      await waitFor(() => pingRedis(url), { what: 'redis container restart', timeoutMs: 30_000 });
    },
    async stop() {
      await container.stop({ timeout: 0 });
    },
    command: (...args) => run(url, args),
  };
}

let engineReachable: Promise<boolean> | null = null;

/** Whether a Docker (or compatible) engine answers; decided once per process. */
export function dockerEngineReachable(): Promise<boolean> {
  engineReachable ??= (async () => {
    if (process.env.BATON_TEST_NO_CONTAINERS === 'true') return false;
    try {
      const { getContainerRuntimeClient } = await import('testcontainers');
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 5000).unref());
      const client = await Promise.race([getContainerRuntimeClient(), timeout]);
      return Boolean(client);
    } catch {
      return false;
    }
  })();
  return engineReachable;
}

/**
 * The Redis fixture: REDIS_URL when set (not controllable: kill/restart tests skip), else a container
 * when a Docker engine is reachable, else a local redis-server child on a free port.
 */
export async function startRedis(opts: RedisOptions = {}): Promise<TestRedis> {
  const external = process.env.REDIS_URL;
  if (external) {
    return {
      url: external,
      target: external,
      mode: 'external',
      controllable: false,
      kill: () => Promise.reject(new Error('cannot kill an external Redis (REDIS_URL)')),
      start: () => Promise.reject(new Error('cannot start an external Redis (REDIS_URL)')),
      stop: async () => undefined,
      command: (...args) => run(external, args),
    };
  }
  return (await dockerEngineReachable()) ? startContainer(opts) : startLocal(opts);
}
