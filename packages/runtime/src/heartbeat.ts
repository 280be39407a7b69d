import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AGENT_RECORD_TTL_MS, type AgentHeartbeat, type Keys } from '@baton/contracts';
import type { RedisConfig } from '@baton/platform';
import type { HeartbeatThreadData, MainToThread, ThreadToMain } from './heartbeat-protocol.js';

const TICK_MS = 100;
/** Task-set changes reach the heartbeat thread at most this often. */
const FLUSH_MS = 100;

type Patch = Extract<MainToThread, { type: 'update' }>['patch'];

/** The compiled thread script (when running from TypeScript sources, e.g. under vitest, use the build). */
function threadUrl(): URL {
  const beside = new URL('./heartbeat-thread.js', import.meta.url);
  return existsSync(fileURLToPath(beside)) ? beside : new URL('../dist/heartbeat-thread.js', import.meta.url);
}

/**
 * The thread always runs compiled JavaScript, so it must not inherit a test runner's "resolve
 * workspace packages to their TypeScript sources" condition.
 */
function threadExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '--conditions' || a === '-C') && argv[i + 1] === '@baton/source') i++;
    else if (a !== '--conditions=@baton/source') out.push(a);
  }
  return out;
}

/** Heartbeats from a worker thread, so they keep flowing while a handler keeps the main thread busy. */
export class Heartbeat {
  private readonly tick: NodeJS.Timeout;
  private stopped: Promise<void> | null = null;

  /** A drain or restart marked on the agent's record, handed over by a beat (see heartbeat-thread). */
  onControl: (kind: 'drain' | 'restart') => void = () => undefined;
  /** A beat failed (Redis unreachable or refusing writes). */
  onBeatFailed: () => void = () => undefined;

  private constructor(
    private readonly thread: Worker,
    private readonly shared: Float64Array,
  ) {
    thread.on('message', (m: ThreadToMain) => {
      if (m.type === 'control') this.onControl(m.kind);
      else if (m.type === 'beatFailed') this.onBeatFailed();
    });
    shared[0] = Date.now();
    this.tick = setInterval(() => {
      shared[0] = Date.now();
    }, TICK_MS);
    this.tick.unref();
  }

  /** `wedgedExitMs`: the main loop silent this long makes the thread kill the process (0: never). */
  static async start(redis: RedisConfig, keys: Keys, record: AgentHeartbeat, wedgedExitMs = 0): Promise<Heartbeat> {
    const sab = new SharedArrayBuffer(3 * Float64Array.BYTES_PER_ELEMENT);
    const data: HeartbeatThreadData = {
      redis,
      connectionName: `baton-heartbeat-${record.id}`,
      agentKey: keys.agent(record.id),
      agentsKey: keys.agents(),
      intervalMs: record.intervalMs,
      ttlMs: AGENT_RECORD_TTL_MS,
      shared: sab,
      tickMs: TICK_MS,
      wedgedExitMs,
      record,
    };
    const thread = new Worker(threadUrl(), { workerData: data, execArgv: threadExecArgv() });
    const hb = new Heartbeat(thread, new Float64Array(sab));
    await new Promise<void>((resolve, reject) => {
      thread.once('error', reject);
      thread.on('message', (m: ThreadToMain) => {
        if (m.type === 'started') resolve();
      });
    });
    return hb;
  }

  /**
   * When Redis last accepted a beat, and when one last failed (epoch ms, 0: never). The beats go over
   * the thread's own connection, so they tell whether Redis is reachable and writable independently
   * of the agent's other connections.
   */
  beats(): { okAt: number; failedAt: number } {
    return { okAt: this.shared[1] ?? 0, failedAt: this.shared[2] ?? 0 };
  }

  private pending: Patch | null = null;
  private flushTimer: NodeJS.Timeout | null = null;

  private postedAt = 0;

  /**
   * State changes go to the thread at once. Task-set changes too, unless the last one went less
   * than FLUSH_MS ago: then they are batched until FLUSH_MS after it (posting the set on every task start
   * and end cost more CPU than the tasks at high rates). So an agent that starts a task after a quiet
   * spell and then blocks its event loop still reports it. lastTaskAt rides along with the next post.
   */
  update(patch: Patch): void {
    this.pending = { ...this.pending, ...patch };
    const wait = FLUSH_MS - (Date.now() - this.postedAt);
    if (patch.state !== undefined || (patch.active !== undefined && wait <= 0)) {
      this.flush();
      return;
    }
    this.flushTimer ??= setTimeout(() => this.flush(), Math.max(0, wait));
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (!this.pending) return;
    if (this.pending.active !== undefined) this.postedAt = Date.now();
    this.thread.postMessage({ type: 'update', patch: this.pending } satisfies MainToThread);
    this.pending = null;
  }

  /** Stops beating; `remove` deletes the registry record (clean exit), otherwise the last state stays until it ages out. */
  stop(remove: boolean): Promise<void> {
    this.stopped ??= (async () => {
      clearInterval(this.tick);
      this.flush();
      const done = new Promise<void>((resolve) => {
        this.thread.on('message', (m: ThreadToMain) => {
          if (m.type === 'stopped') resolve();
        });
        this.thread.once('exit', () => resolve());
      });
      this.thread.postMessage({ type: 'stop', remove } satisfies MainToThread);
      await Promise.race([done, new Promise((r) => setTimeout(r, 3000).unref())]);
      await this.thread.terminate();
    })();
    return this.stopped;
  }
}
