import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keys as buildKeys, type AgentView, type Keys } from '@baton/contracts';
import {
  ENTRYPOINTS,
  freePort,
  spawnBaton,
  startRedis,
  testNamespace,
  waitFor,
  type BatonProcess,
  type OrchestratorProcess,
  type TestRedis,
} from '@baton/testing';
import { Redis } from 'ioredis';
import { api } from './api.js';

/** How long a started process may take to say it is ready (see `ready`). */
const READY_TIMEOUT_MS = 180_000;

/** An agent process of the stack; killed ones stay listed (their pid explains re-executions). */
export interface AgentProcess {
  readonly id: string;
  readonly proc: BatonProcess;
  readonly startedAt: number;
  killedAt: number | null;
}

export interface StackOptions {
  /** Names the stack's temp dir and log files. */
  label: string;
  /** Extra redis-server arguments. */
  redisArgs?: string[];
  /** Where to write every process's output when the stack closes with `keepLogs`. */
  logDir?: string | null;
}

/**
 * A real Baton deployment for one scenario: a throwaway Redis (AOF everysec, noeviction) that only
 * this stack uses, orchestrator processes on fixed ports per slot (so a restarted instance is the
 * same address), and noop agent processes that append each execution to one ledger file.
 * Everything runs from the build (dist/), as production does. `close()` kills all of it.
 */
export class ChaosStack {
  readonly keys: Keys;
  readonly ledgerFile: string;
  /** Every agent started, alive or killed, by id. */
  readonly agents = new Map<string, AgentProcess>();
  private readonly orchestrators = new Map<number, OrchestratorProcess>();
  private readonly ports = new Map<number, number>();
  private readonly processes: { name: string; proc: BatonProcess }[] = [];
  private readonly starting = new Set<Promise<unknown>>();
  private agentSeq = 0;
  private orchestratorSeq = 0;
  private client: Redis | null = null;
  private closed = false;

  private constructor(
    readonly redis: TestRedis,
    readonly ns: string,
    readonly dir: string,
    private readonly opts: StackOptions,
  ) {
    this.keys = buildKeys(ns);
    this.ledgerFile = join(dir, 'ledger.jsonl');
  }

  static async start(opts: StackOptions): Promise<ChaosStack> {
    const redis = await startRedis(opts.redisArgs ? { args: opts.redisArgs } : {});
    if (!redis.controllable) {
      await redis.stop();
      throw new Error('the chaos battery needs a Redis it controls (it kills it and fills it up): unset REDIS_URL');
    }
    const dir = mkdtempSync(join(tmpdir(), `baton-chaos-${opts.label}-`));
    const stack = new ChaosStack(redis, testNamespace('chaos'), dir, opts);
    ChaosStack.open.add(stack);
    return stack;
  }

  private static readonly open = new Set<ChaosStack>();

  /** Closes every stack still open (the CLI's Ctrl-C handler). */
  static async closeAll(): Promise<void> {
    await Promise.allSettled([...ChaosStack.open].map((s) => s.close(false)));
  }

  /** A connection of the battery's own for reading state (events, queues, INFO); reconnects forever. */
  get db(): Redis {
    if (!this.client) {
      this.client = new Redis(this.redis.url, {
        maxRetriesPerRequest: 1, // fail (not hang) while Redis is down; callers retry
        enableOfflineQueue: true,
        retryStrategy: () => 200,
        connectionName: 'baton-chaos',
      });
      this.client.on('error', () => undefined);
    }
    return this.client;
  }

  /** Starts (or restarts) the orchestrator of `slot` on that slot's port and waits for /ready. */
  async startOrchestrator(slot = 0, env: Record<string, string> = {}): Promise<OrchestratorProcess> {
    let port = this.ports.get(slot);
    if (port === undefined) {
      port = await freePort();
      this.ports.set(slot, port);
    }
    const url = `http://127.0.0.1:${port}`;
    // The same settings as @baton/testing's spawnOrchestrator (quick repair loops), but a process
    // that never gets ready is killed rather than left behind.
    const proc = this.spawn(`orchestrator-${slot}-${++this.orchestratorSeq}`, ENTRYPOINTS.orchestrator, {
      REDIS_URL: this.redis.url,
      BATON_NAMESPACE: this.ns,
      BATON_HOST: '127.0.0.1',
      BATON_PORT: String(port),
      BATON_SWEEP_INTERVAL_MS: '200',
      BATON_RECONCILE_INTERVAL_MS: '300',
      BATON_REPAIR_GRACE_MS: '1000',
      BATON_AUTH: 'disabled',
      // The battery polls the API hard (every run, every agent); rate limits are not under test here.
      BATON_RATE_LIMIT_MAX: '10000000',
      BATON_DATA_DIR: join(this.dir, 'data'),
      LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'warn',
      ...env,
    });
    await this.ready(proc, 'orchestrator /ready', async () => (await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2000) })).ok);
    const o: OrchestratorProcess = Object.assign(proc, { url, port });
    this.orchestrators.set(slot, o);
    return o;
  }

  /** kill -9 the orchestrator of `slot`. */
  async killOrchestrator(slot: number): Promise<void> {
    const o = this.orchestrators.get(slot);
    if (!o) return;
    this.orchestrators.delete(slot);
    await o.kill('SIGKILL');
  }

  /** Whether the orchestrator of `slot` is running (started and not killed since). */
  orchestratorUp(slot: number): boolean {
    const o = this.orchestrators.get(slot);
    return o !== undefined && o.child.exitCode === null && o.child.signalCode === null;
  }

  /** Every orchestrator address (one per slot), whether its process is up or not. */
  orchestratorUrls(): string[] {
    return [...this.ports.values()].map((port) => `http://127.0.0.1:${port}`);
  }

  liveOrchestrators(): OrchestratorProcess[] {
    return [...this.orchestrators.values()];
  }

  /** The base URL of a live orchestrator (the first one). */
  url(): string {
    const o = this.liveOrchestrators()[0];
    if (!o) throw new Error('no orchestrator is running');
    return o.url;
  }

  /** Starts a noop agent process (id `noop-<n>`) writing to the stack's ledger; waits until it is ready. */
  async startAgent(env: Record<string, string> = {}): Promise<AgentProcess> {
    const id = `noop-${++this.agentSeq}`;
    // spawnAgent's settings (fast heartbeats, 3 s locks, 1 s stalled checks), overridable by `env`.
    const proc = this.spawn(id, ENTRYPOINTS.noop, {
      REDIS_URL: this.redis.url,
      BATON_NAMESPACE: this.ns,
      BATON_HEARTBEAT_MS: '200',
      BATON_LOCK_DURATION_MS: '3000',
      BATON_STALLED_INTERVAL_MS: '1000',
      BATON_AGENT_ID: id,
      BATON_NOOP_LEDGER: this.ledgerFile,
      BATON_DATA_DIR: join(this.dir, 'data'),
      ...env,
      LOG_LEVEL: 'info', // readiness is its "agent ready" line
    });
    const agent: AgentProcess = { id, proc, startedAt: Date.now(), killedAt: null };
    this.agents.set(id, agent);
    try {
      await this.ready(proc, `agent ${id} ready`, () => proc.output().includes('"msg":"agent ready"'));
    } catch (e: unknown) {
      // Killed on purpose while it was starting (a fault aimed at it): not a failed start.
      if (agent.killedAt !== null) return agent;
      throw e;
    }
    return agent;
  }

  /** kill -9 an agent; returns when it died (the kill time). */
  async killAgent(agent: AgentProcess): Promise<number> {
    agent.killedAt = Date.now();
    await agent.proc.kill('SIGKILL');
    return agent.killedAt;
  }

  liveAgents(): AgentProcess[] {
    return [...this.agents.values()].filter((a) => a.killedAt === null && a.proc.child.exitCode === null && a.proc.child.signalCode === null);
  }

  /** GET /v1/agents from a live orchestrator. */
  async agentViews(): Promise<AgentView[]> {
    const res = await api<{ items: AgentView[] }>(this.url(), 'GET', '/v1/agents');
    if (res.status !== 200) throw new Error(`GET /v1/agents: ${res.status}`);
    return res.body.items;
  }

  /** `INFO <section>` field of the stack's Redis. */
  async redisInfo(section: string, field: string): Promise<string | null> {
    const info = await this.db.info(section);
    const line = info.split(/\r?\n/).find((l) => l.startsWith(`${field}:`));
    return line ? line.slice(field.length + 1).trim() : null;
  }

  /**
   * Kills every process and the Redis, and removes the temp dir. With `keepLogs` (a failed scenario),
   * first writes each process's output to `<logDir>/<label>/` and returns that path.
   */
  async close(keepLogs: boolean): Promise<string | null> {
    if (this.closed) return null;
    this.closed = true;
    ChaosStack.open.delete(this);
    await Promise.all(this.processes.map((p) => p.proc.kill('SIGKILL')));
    await Promise.allSettled([...this.starting]);
    let logs: string | null = null;
    if (keepLogs && this.opts.logDir) {
      logs = join(this.opts.logDir, this.opts.label);
      mkdirSync(logs, { recursive: true });
      for (const p of this.processes) writeFileSync(join(logs, `${p.name}.log`), p.proc.output());
      if (existsSync(this.ledgerFile)) copyFileSync(this.ledgerFile, join(logs, 'ledger.jsonl'));
    }
    this.client?.disconnect();
    await this.redis.stop();
    rmSync(this.dir, { recursive: true, force: true });
    return logs;
  }

  private spawn(name: string, entry: string, env: Record<string, string>): BatonProcess {
    if (this.closed) throw new Error('the stack is closed');
    const proc = spawnBaton(entry, env);
    this.processes.push({ name, proc });
    return proc;
  }

  /**
   * Waits for a process to be ready; kills it when it isn't (or exits) within the deadline. A process
   * that exits is reported at once; the deadline itself is generous because on a shared 2-core
   * machine (load average ≈ 30: several `tsc -b` beside the tests) a node process was seen taking
   * more than 90 s to start, which the model test then reported as a failed repair.
   */
  private async ready(proc: BatonProcess, what: string, probe: () => Promise<boolean> | boolean): Promise<void> {
    const p = waitFor(
      async () => {
        if (proc.child.exitCode !== null || proc.child.signalCode !== null) return 'exited' as const;
        return (await probe()) ? ('ready' as const) : false;
      },
      { what, timeoutMs: READY_TIMEOUT_MS, intervalMs: 50 },
    ).then((state) => {
      if (state === 'exited') throw new Error(`${what}: the process exited: ${proc.output().slice(-2000)}`);
    });
    this.starting.add(p);
    try {
      await p;
    } catch (e: unknown) {
      await proc.kill('SIGKILL');
      throw e;
    } finally {
      this.starting.delete(p);
    }
  }
}
