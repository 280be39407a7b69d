import { TERMINAL_RUN_STATUSES, type RunStatus } from '@baton/contracts';
import { EngineError, type Engine } from '@baton/engine';
import { errorMessage, type Logger } from '@baton/platform';
import { latestTickBetween, nextTicks } from './cron-times.js';
import type { ScheduleState, ScheduleStore, StoredSchedule } from './schedule-store.js';

/** setTimeout's ceiling is ~24.8 days; a later tick is re-armed on the way. */
const MAX_DELAY_MS = 6 * 3600 * 1000;

interface Armed {
  timer: NodeJS.Timeout;
  tickMs: number;
  /** The definition the timer was armed for (re-armed when it changes). */
  version: string;
}

/** The idempotency key of a schedule's tick: every orchestrator that fires it submits the same run. */
export const tickKey = (name: string, tickMs: number) => `schedule:${name}:${tickMs}`;

/**
 * Fires schedules. Every orchestrator arms one timer per schedule, for its next tick (no polling
 * per tick), and re-reads the definitions every `reloadMs` and after each local change. When a tick
 * fires, every orchestrator submits the same run (the idempotency key is the schedule and tick), so
 * there is exactly one run per tick however many run. A schedule this process sees for the first
 * time is checked for ticks missed while no orchestrator ran (`catchUp`).
 */
export class Scheduler {
  private readonly armed = new Map<string, Armed>();
  private readonly seen = new Set<string>();
  private reloadTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private reloading: Promise<void> | null = null;

  constructor(
    readonly store: ScheduleStore,
    private readonly engine: Engine,
    private readonly log: Logger,
    private readonly reloadMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async start(): Promise<void> {
    await this.reload().catch((e: unknown) => this.log.warn({ err: errorMessage(e) }, 'could not load schedules yet'));
    this.scheduleReload();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    for (const a of this.armed.values()) clearTimeout(a.timer);
    this.armed.clear();
    await this.reloading;
  }

  private scheduleReload(): void {
    if (this.stopped) return;
    this.reloadTimer = setTimeout(() => {
      this.reload()
        .catch((e: unknown) => this.log.warn({ err: errorMessage(e) }, 'could not reload schedules'))
        .finally(() => this.scheduleReload());
    }, this.reloadMs);
    this.reloadTimer.unref();
  }

  /** Re-reads every definition: arms new ones, re-arms changed ones, disarms deleted or paused ones. */
  reload(): Promise<void> {
    this.reloading ??= this.reloadOnce().finally(() => (this.reloading = null));
    return this.reloading;
  }

  private async reloadOnce(): Promise<void> {
    const all = await this.store.list();
    const names = new Set(all.map((s) => s.name));
    for (const [name, a] of this.armed) {
      if (!names.has(name)) {
        clearTimeout(a.timer);
        this.armed.delete(name);
      }
    }
    for (const s of all) {
      if (this.stopped) return;
      if (!this.seen.has(s.name)) {
        this.seen.add(s.name);
        if (!s.paused) await this.catchUp(s).catch((e: unknown) => this.log.warn({ schedule: s.name, err: errorMessage(e) }, 'schedule catch-up failed'));
      }
      this.arm(s);
    }
  }

  private arm(s: StoredSchedule, afterMs: number = this.now()): void {
    const version = `${s.updatedAt}|${s.paused}`;
    const current = this.armed.get(s.name);
    if (current && current.version === version) return;
    if (current) clearTimeout(current.timer);
    this.armed.delete(s.name);
    if (s.paused || this.stopped) return;
    const [tickMs] = nextTicks(s.cron, s.timezone, afterMs, 1);
    if (tickMs === undefined) return;
    const delay = tickMs - this.now();
    const timer = setTimeout(() => {
      this.armed.delete(s.name);
      if (delay > MAX_DELAY_MS) return this.arm(s);
      void this.fire(s.name, tickMs).finally(() => {
        // Re-arm from the definition as it is now (it may have changed while the tick ran).
        // From the tick just handled, so a slow tick never skips the next one (it then fires at once).
        void this.store.get(s.name).then((fresh) => fresh && !this.stopped && this.arm(fresh, tickMs)).catch(() => undefined);
      });
    }, Math.min(Math.max(0, delay), MAX_DELAY_MS));
    timer.unref();
    this.armed.set(s.name, { timer, tickMs, version });
  }

  /** One tick of one schedule, as its timer fires it. */
  private async fire(name: string, tickMs: number): Promise<void> {
    try {
      const s = await this.store.get(name);
      if (!s || s.paused) return;
      await this.startTick(s, tickMs, 'started');
    } catch (e: unknown) {
      this.log.warn({ schedule: name, tick: new Date(tickMs).toISOString(), err: errorMessage(e) }, 'schedule tick failed');
    }
  }

  /** Ticks missed while no orchestrator ran: `latest` runs the latest one, `none` only records them as passed over. */
  private async catchUp(s: StoredSchedule): Promise<void> {
    const state = await this.store.state(s.name);
    const since = state?.lastTickMs ?? Date.parse(s.createdAt);
    const missed = latestTickBetween(s.cron, s.timezone, since, this.now());
    if (missed === null) return;
    if (s.catchUp === 'latest') {
      this.log.info({ schedule: s.name, tick: new Date(missed).toISOString() }, 'schedule catching up its latest missed tick');
      await this.startTick(s, missed, 'caught-up');
    } else {
      await this.store.advance(s.name, { lastTickMs: missed, lastRunId: state?.lastRunId ?? null, lastOutcome: 'passed-over' });
    }
  }

  private async startTick(s: StoredSchedule, tickMs: number, outcome: 'started' | 'caught-up'): Promise<void> {
    const state = await this.store.state(s.name);
    if (s.overlap !== 'allow' && state?.lastRunId && state.lastTickMs < tickMs) {
      const previous = await this.engine.get(state.lastRunId);
      if (previous && !TERMINAL_RUN_STATUSES.has(previous.status as RunStatus)) {
        if (s.overlap === 'skip') {
          await this.record(s, { lastTickMs: tickMs, lastRunId: state.lastRunId, lastOutcome: 'skipped-overlap' });
          return;
        }
        await this.engine.cancel(previous.id, `schedule ${s.name}: the next tick cancels the running one`).catch((e: unknown) => {
          if (!(e instanceof EngineError)) throw e;
        });
      }
    }
    const tick = new Date(tickMs).toISOString();
    const { doc, created } = await this.engine.submit(
      { pipeline: s.pipeline, ...(s.version !== undefined ? { version: s.version } : {}), input: s.input, labels: { ...s.labels, schedule: s.name, 'schedule-tick': tick } },
      tickKey(s.name, tickMs),
      `schedule:${s.name}`,
      s.definedBy,
    );
    if (created) this.log.info({ schedule: s.name, tick, runId: doc.id }, 'schedule started a run');
    await this.record(s, { lastTickMs: tickMs, lastRunId: doc.id, lastOutcome: outcome });
  }

  private async record(s: StoredSchedule, state: ScheduleState): Promise<void> {
    await this.store.advance(s.name, state);
  }

  /** Resuming: ticks passed while paused are not caught up. */
  async markResumed(s: StoredSchedule): Promise<void> {
    const state = await this.store.state(s.name);
    const latest = latestTickBetween(s.cron, s.timezone, state?.lastTickMs ?? Date.parse(s.createdAt), this.now());
    if (latest !== null) await this.store.advance(s.name, { lastTickMs: latest, lastRunId: state?.lastRunId ?? null, lastOutcome: 'passed-over' });
  }
}
