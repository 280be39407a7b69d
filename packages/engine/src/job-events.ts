import { errorMessage, whenReady, type RedisClient } from '@baton/platform';
import type { EngineContext } from './context.js';
import { applyCompletion, applyJob } from './job-applier.js';

/** How long an "active" event waits for the same job's completion before it is applied on its own. */
export const ACTIVE_DEFER_MS = 100;
/** Longest a blocking read waits; also how often the set of agent queues is refreshed. */
const BLOCK_MS = 1000;
/** Events per read: a completion carries its output (up to 256 KB), so this bounds a reply's size. */
const READ_COUNT = 200;

/** Events that change what a stage looks like; every other BullMQ event (added, waiting, drained...) is ignored. */
const APPLIED = new Set(['active', 'completed', 'failed', 'progress', 'delayed']);

/**
 * Tails BullMQ's per-queue event streams (written atomically by BullMQ's own scripts as jobs move)
 * and applies the job each event names right away. A completion carries its result, so it is
 * applied without reading the job. Only the fast path: anything missed (the stream is capped,
 * the orchestrator was down) is applied by the result sweeper and the reconciler.
 */
export class JobEventListener {
  /** Agent type -> id of the last event read from its queue's stream. */
  private readonly cursors = new Map<string, string>();
  private readonly inFlight = new Map<string, { again: boolean; result: string | null; startOnly: boolean }>();
  private readonly deferred = new Map<string, NodeJS.Timeout>();
  private running = false;
  private loop: Promise<void> | null = null;
  private refreshedAt = 0;
  private lastError = '';
  /** When a read last returned a full batch: this listener is behind the streams. */
  private fullReadAt = 0;
  /** Stream id of this listener's start (Redis time): events before it were the start-up sweep's. */
  private startId = '0-0';

  constructor(
    private readonly ctx: EngineContext,
    /** A connection this listener may block on (nothing else may use it). */
    private readonly conn: RedisClient,
    private readonly agentTypes: () => Promise<Iterable<string>>,
  ) {}

  async start(): Promise<void> {
    await whenReady(this.conn);
    const [sec, usec] = await this.conn.time();
    this.startId = `${Number(sec) * 1000 + Math.floor(Number(usec) / 1000)}-0`;
    await this.refresh();
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Adds the streams of agent types seen for the first time. Each is read from this listener's
   * start, so the first jobs of a type registered later are not missed.
   */
  private async refresh(): Promise<void> {
    this.refreshedAt = Date.now();
    for (const t of await this.agentTypes()) if (!this.cursors.has(t)) this.cursors.set(t, this.startId);
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (Date.now() - this.refreshedAt >= BLOCK_MS) await this.refresh();
        const types = [...this.cursors.keys()];
        const streams = types.map((t) => this.ctx.keys.queueEvents(t));
        if (types.length === 0) {
          await new Promise((r) => setTimeout(r, BLOCK_MS));
          continue;
        }
        const reply = (await this.conn.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          ...streams,
          ...types.map((t) => this.cursors.get(t)!),
        )) as [string, [string, string[]][]][] | null;
        this.lastError = '';
        if (!reply || !this.running) continue;
        if (reply.some(([, entries]) => entries.length >= READ_COUNT)) this.fullReadAt = Date.now();
        for (const [key, entries] of reply) {
          const type = types[streams.indexOf(key)];
          if (type === undefined) continue;
          for (const [id, fields] of entries) {
            this.cursors.set(type, id);
            this.onEvent(type, fields);
          }
        }
      } catch (e: unknown) {
        if (!this.running) break;
        const msg = errorMessage(e);
        if (msg !== this.lastError) this.ctx.log.warn({ err: msg }, 'reading job events failed; retrying (the sweeper applies results meanwhile)');
        this.lastError = msg;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private onEvent(type: string, fields: string[]): void {
    let event: string | undefined;
    let jobId: string | undefined;
    let result: string | null = null;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const f = fields[i];
      if (f === 'event') event = fields[i + 1];
      else if (f === 'jobId') jobId = fields[i + 1];
      else if (f === 'returnvalue') result = fields[i + 1] ?? null;
    }
    if (!event || !jobId || !APPLIED.has(event)) return;
    this.route(type, jobId, event, event === 'completed' ? result : null);
  }

  /**
   * "active" events wait ACTIVE_DEFER_MS: a short stage's completion usually arrives first and is
   * applied alone (one transition instead of two). Any other event for the job applies it at once.
   */
  private route(type: string, jobId: string, event: string, result: string | null): void {
    const key = `${type}/${jobId}`;
    const pending = this.deferred.get(key);
    if (event === 'active') {
      if (pending) return;
      const timer = setTimeout(() => {
        this.deferred.delete(key);
        this.handle(type, jobId, null, true);
      }, ACTIVE_DEFER_MS);
      this.deferred.set(key, timer);
      return;
    }
    if (pending) {
      clearTimeout(pending);
      this.deferred.delete(key);
    }
    this.handle(type, jobId, result);
  }

  /**
   * Applies a job, coalescing events that arrive while the same job is being applied. `startOnly`
   * (an "active" event whose wait ran out): a job found finished is left to its completion event,
   * which is already in the stream behind it (the sweeper applies it if the stream lost it).
   */
  private handle(type: string, jobId: string, result: string | null, startOnly = false): void {
    const key = `${type}/${jobId}`;
    const cur = this.inFlight.get(key);
    if (cur) {
      cur.again = true;
      cur.result = result ?? cur.result;
      cur.startOnly &&= startOnly;
      return;
    }
    const state = { again: false, result, startOnly };
    this.inFlight.set(key, state);
    void (async () => {
      try {
        do {
          state.again = false;
          const completed = state.result;
          const startOnly = state.startOnly;
          state.result = null;
          state.startOnly = true;
          if (completed !== null) await applyCompletion(this.ctx, type, jobId, completed);
          else await applyJob(this.ctx, type, jobId, startOnly);
        } while (state.again && this.running);
      } catch (e: unknown) {
        this.ctx.log.debug({ jobId, err: errorMessage(e) }, 'job event not applied; the sweeper will retry');
      } finally {
        this.inFlight.delete(key);
      }
    })();
  }

  /**
   * True while this listener is behind the streams (a read in the last two seconds came back full).
   * Far enough behind, BullMQ trims events before they are read: the sweeper then takes every
   * finished job at once instead of leaving the recent ones to this path.
   */
  lagging(): boolean {
    return Date.now() - this.fullReadAt < 2000;
  }

  /** Stops reading. The connection is closed: a blocked read cannot be released otherwise. */
  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.deferred.values()) clearTimeout(t);
    this.deferred.clear();
    this.conn.disconnect();
    await this.loop;
  }
}
