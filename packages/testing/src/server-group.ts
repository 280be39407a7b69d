import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { waitFor } from './wait-for.js';

/** Arguments every test redis-server gets: AOF on, no RDB snapshots, never evict. */
export const DURABLE_ARGS = ['--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction'];

export function requireRedisServer(): void {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error('redis-server is not installed: install it (apt-get install redis-server / brew install redis)');
  }
}

/** `n` distinct ports that were free a moment ago (all held open until every one is chosen). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const srv = createServer();
      servers.push(srv);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen(0, '127.0.0.1', () => {
            const a = srv.address();
            if (typeof a === 'object' && a) resolve(a.port);
            else reject(new Error('no port'));
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/** Runs one command on a short-lived connection to 127.0.0.1:<port>. */
export async function nodeCommand(port: number, ...args: (string | number)[]): Promise<unknown> {
  const c = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
  c.on('error', () => undefined);
  try {
    await c.connect();
    const [cmd, ...rest] = args;
    return await c.call(String(cmd), ...rest.map(String));
  } finally {
    c.disconnect();
  }
}

/** Field `name` of an INFO-style reply (`name:value` lines). */
export function infoField(info: unknown, name: string): string | undefined {
  const line = String(info)
    .split(/\r?\n/)
    .find((l) => l.startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim();
}

/**
 * redis-server processes started by one fixture, in one temp dir. `stop()` kills exactly these
 * PIDs (never anything found by name) and removes the dir.
 */
export class ServerGroup {
  readonly dir: string;
  private readonly children = new Map<number, ChildProcess>();

  constructor(prefix: string) {
    requireRedisServer();
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }

  /** Starts `redis-server <args>` and waits until it answers PING on `port`. */
  async start(port: number, args: string[]): Promise<void> {
    const child = spawn('redis-server', args, { cwd: this.dir, stdio: 'ignore' });
    this.children.set(port, child);
    child.once('exit', () => {
      if (this.children.get(port) === child) this.children.delete(port);
    });
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server on ${port} exited with ${child.exitCode}`);
        return (await nodeCommand(port, 'PING')) === 'PONG';
      },
      { what: `redis-server on ${port}`, timeoutMs: 15_000 },
    );
  }

  /** kill -9 the server on `port` (and wait for it to exit). */
  async kill(port: number): Promise<void> {
    const c = this.children.get(port);
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.children.keys()].map((p) => this.kill(p)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
