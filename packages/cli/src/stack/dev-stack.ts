import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEV_AGENTS, ORCHESTRATOR_ENTRY } from './dev-agents.js';
import { portOrFree } from './ports.js';
import { Supervised } from './supervised.js';

export interface DevStackOptions {
  /** Project-local state: redis data and logs. */
  dataDir: string;
  /** Preferred orchestrator port. */
  port: number;
  /** Use this Redis instead of starting one. */
  redisUrl?: string;
  /**
   * A cluster or Sentinel configured in the environment (REDIS_CLUSTER_NODES / REDIS_SENTINELS),
   * described for display: the processes inherit it, no Redis is started.
   */
  redisFromEnv?: string;
  say: (msg: string) => void;
}

export class DevStackError extends Error {}

const REDIS_HELP = `redis-server is not installed, and REDIS_URL is not set.
Either install Redis:
  Debian/Ubuntu:  sudo apt-get install -y redis-server
  macOS:          brew install redis
or point Baton at a Redis you already run (it needs maxmemory-policy noeviction):
  REDIS_URL=redis://127.0.0.1:6379 npx -y pnpm@10 demo`;

/**
 * How long the stack's processes may take to come up. Ready in about 2 s on an idle laptop; on a
 * loaded CI host seven cold Node processes can take far longer, so the default is generous and
 * BATON_STARTUP_TIMEOUT_MS overrides it.
 */
const startupTimeoutMs = (): number => {
  const v = Number(process.env.BATON_STARTUP_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : 120_000;
};

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await sleep(150);
  }
  throw new DevStackError(`${what} did not become ready within ${timeoutMs / 1000} s`);
}

async function redisPing(port: number): Promise<boolean> {
  const { createConnection } = await import('node:net');
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' }, () => s.write('PING\r\n'));
    s.setTimeout(1000, () => s.destroy());
    s.once('data', (d) => {
      resolve(d.toString().startsWith('+PONG'));
      s.destroy();
    });
    s.once('error', () => resolve(false));
  });
}

/** The embedded dev stack: Redis (unless REDIS_URL is given), the orchestrator and one process per agent type. */
export class DevStack {
  private readonly children: Supervised[] = [];
  url = '';
  redisUrl = '';
  embeddedRedis = false;

  constructor(private readonly opts: DevStackOptions) {}

  async start(): Promise<void> {
    const logs = join(this.opts.dataDir, 'logs');
    mkdirSync(logs, { recursive: true });
    // Human-readable logs in .baton/logs unless the user asks otherwise.
    const base = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', LOG_PRETTY: process.env.LOG_PRETTY ?? 'true' };

    if (this.opts.redisUrl || this.opts.redisFromEnv) {
      this.redisUrl = this.opts.redisUrl ?? this.opts.redisFromEnv ?? '';
    } else {
      if (spawnSync('redis-server', ['--version']).error) throw new DevStackError(REDIS_HELP);
      const dir = join(this.opts.dataDir, 'data', 'redis');
      mkdirSync(dir, { recursive: true });
      const port = await portOrFree(6390);
      const redis = new Supervised(
        {
          name: 'redis',
          command: 'redis-server',
          args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction'],
          env: base,
          logFile: join(logs, 'redis.log'),
          restart: true,
        },
        this.opts.say,
      );
      redis.start();
      this.children.push(redis);
      this.redisUrl = `redis://127.0.0.1:${port}`;
      this.embeddedRedis = true;
      await waitUntil('redis-server', () => redisPing(port), 15_000);
    }

    const port = await portOrFree(this.opts.port);
    this.url = `http://127.0.0.1:${port}`;
    const env = { ...base, ...(this.opts.redisFromEnv ? {} : { REDIS_URL: this.redisUrl }), BATON_DATA_DIR: join(this.opts.dataDir, 'data'), BATON_ALLOW_LOCAL_REPOS: 'true' };
    const orchestrator = new Supervised(
      {
        name: 'orchestrator',
        command: process.execPath,
        args: [ORCHESTRATOR_ENTRY],
        env: { ...env, BATON_HOST: '127.0.0.1', BATON_PORT: String(port), BATON_REQUIRE_NOEVICTION: 'true', BATON_AUTH: process.env.BATON_AUTH ?? 'disabled' },
        logFile: join(logs, 'orchestrator.log'),
        restart: true,
      },
      this.opts.say,
    );
    orchestrator.start();
    this.children.push(orchestrator);
    for (const a of DEV_AGENTS) {
      const agent = new Supervised({ name: `agent ${a.type}`, command: process.execPath, args: [a.entry], env, logFile: join(logs, `agent-${a.type}.log`), restart: true }, this.opts.say);
      agent.start();
      this.children.push(agent);
    }
    await waitUntil('the orchestrator', async () => (await fetch(`${this.url}/ready`)).ok, startupTimeoutMs()).catch((e: unknown) => {
      throw new DevStackError(`${e instanceof Error ? e.message : String(e)}; see ${relative(process.cwd(), join(logs, 'orchestrator.log'))}`);
    });
    await waitUntil(
      'the agents',
      async () => {
        const body = (await (await fetch(`${this.url}/v1/agents`)).json()) as { items: { type: string; liveness: string }[] };
        return DEV_AGENTS.every((a) => body.items.some((i) => i.type === a.type && i.liveness === 'alive'));
      },
      startupTimeoutMs(),
    );
  }

  async stop(): Promise<void> {
    // Agents first (they drain), then the orchestrator, then Redis (SIGTERM: it flushes its AOF).
    const redis = this.embeddedRedis ? this.children[0] : undefined;
    const rest = this.children.filter((c) => c !== redis);
    await Promise.all(rest.map((c) => c.stop()));
    await redis?.stop();
  }
}
