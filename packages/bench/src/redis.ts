import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, redisInfoField } from '@baton/platform';
import { pingRedis, waitFor } from '@baton/testing';
import { Redis } from 'ioredis';

export type Persistence = 'none' | 'aof';

/** A throwaway redis-server for one benchmark pass, plus the INFO readings the report needs. */
export class BenchRedis {
  private constructor(
    readonly url: string,
    readonly persistence: Persistence,
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly admin: Redis,
  ) {}

  static async start(persistence: Persistence): Promise<BenchRedis> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'baton-bench-redis-'));
    const persist = persistence === 'aof' ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no'];
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--maxmemory-policy', 'noeviction', '--maxclients', '20000', ...persist],
      { stdio: 'ignore' },
    );
    // A benchmark that crashes must not leave its redis-server behind.
    const orphan = () => child.kill('SIGKILL');
    process.once('exit', orphan);
    child.once('exit', () => process.off('exit', orphan));
    const url = `redis://127.0.0.1:${port}`;
    await waitFor(() => pingRedis(url), { what: 'redis-server', timeoutMs: 15_000 });
    const admin = new Redis(url, { connectionName: 'bench-admin', maxRetriesPerRequest: 1 });
    admin.on('error', () => undefined);
    return new BenchRedis(url, persistence, child, dir, admin);
  }

  async flush(): Promise<void> {
    await this.admin.flushall();
    await this.admin.config('SET', 'appendonly', this.persistence === 'aof' ? 'yes' : 'no');
  }

  /** Resets INFO commandstats and the command counter. */
  async resetStats(): Promise<void> {
    await this.admin.config('RESETSTAT');
  }

  /** Calls per command since the last reset (the admin connection's own INFO/CLIENT calls excluded). */
  async commandStats(): Promise<Record<string, number>> {
    const text = await this.admin.info('commandstats');
    const out: Record<string, number> = {};
    for (const line of text.split('\n')) {
      const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
      if (m && !['info', 'config', 'client', 'ping', 'memory'].includes(m[1]!)) out[m[1]!] = Number(m[2]);
    }
    return out;
  }

  /** Redis server CPU seconds (user + system) so far. */
  async cpuSeconds(): Promise<number> {
    return (await this.infoField('cpu', 'used_cpu_user')) + (await this.infoField('cpu', 'used_cpu_sys'));
  }

  async infoField(section: string, field: string): Promise<number> {
    const value = await redisInfoField(this.admin, section, field);
    return value === null ? NaN : Number(value);
  }

  /** Connected clients grouped by connection name (the admin connection excluded). */
  async clientsByName(): Promise<Map<string, number>> {
    const list = (await this.admin.client('LIST')) as string;
    const out = new Map<string, number>();
    for (const line of list.split('\n')) {
      const name = /\bname=(\S*)/.exec(line)?.[1];
      if (name === undefined || name === 'bench-admin') continue;
      out.set(name, (out.get(name) ?? 0) + 1);
    }
    return out;
  }

  async stop(): Promise<void> {
    this.admin.disconnect();
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGKILL');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Sums calls across commands, and the per-unit figure. */
export function perUnit(stats: Record<string, number>, units: number): { total: number; perUnit: number; top: Record<string, number> } {
  const total = Object.values(stats).reduce((a, b) => a + b, 0);
  const top = Object.fromEntries(
    Object.entries(stats)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => [k, Math.round((v / units) * 100) / 100]),
  );
  return { total, perUnit: Math.round((total / units) * 100) / 100, top };
}
