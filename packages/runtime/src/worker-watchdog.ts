import { errorMessage, type Logger } from '@baton/platform';

/** What the watchdog needs to know about the worker it guards. */
export interface WatchedWorker {
  /** Jobs ready to be taken now (waiting or prioritized), and whether the queue is paused. */
  backlog(): Promise<{ ready: number; paused: boolean }>;
  /**
   * Whether Redis accepts this agent's writes now. While it refuses them (a failover in progress,
   * `NOREPLICAS`, out of memory) no worker can take a job, and that is not deafness.
   */
  writable(): Promise<boolean>;
  /**
   * Whether Redis answered this agent on another connection (its heartbeat) since `since`: then a
   * backlog read that hangs means the worker's own connection is stuck, not that Redis is down.
   */
  answeredSince(since: number): boolean;
  /** True while the worker has a free slot and is meant to be taking jobs (not stopping). */
  wantsWork(): boolean;
  /** When the worker last took a job (epoch ms). */
  lastTakenAt(): number;
  /** Reconnects the worker's connections and restarts its fetch loop if it ended. */
  recover(): Promise<void>;
  /** The last resort: restart the agent process (its jobs go back to the queue). */
  restart(): void;
}

export interface WatchdogOptions {
  /** Deaf = work has been ready this long while the worker had a free slot and took nothing. */
  stallAfterMs: number;
  /** Consecutive recoveries that did not help before the agent restarts itself. */
  maxRecoveries?: number;
  log: Logger;
  onRecovery?: () => void;
  /** How long a backlog read may take before it counts as hung (default `stallAfterMs`). */
  readTimeoutMs?: number;
}

type Backlog = Awaited<ReturnType<WatchedWorker['backlog']>>;

class ReadTimeout extends Error {}

/**
 * Detects a deaf worker — one whose blocking connection silently stalled after a failover or a
 * network fault, or whose fetch loop ended — from the outside: jobs are ready, the worker has free
 * slots, and it has taken nothing for `stallAfterMs`. A worker whose own connection hangs (the
 * backlog read never returns while the heartbeat still reaches Redis) is deaf too. Then it recovers
 * the worker's connections; if that does not help `maxRecoveries` times in a row, it restarts the agent.
 */
export class WorkerWatchdog {
  private readonly timer: NodeJS.Timeout;
  private readySince: number | null = null;
  private failedRecoveries = 0;
  private busy = false;

  constructor(
    private readonly worker: WatchedWorker,
    private readonly opts: WatchdogOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => void this.check(), Math.max(100, Math.floor(opts.stallAfterMs / 4)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One check (exposed for tests). */
  async check(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.inspect();
    } catch (e: unknown) {
      // Redis is unreachable: that is not deafness (and every client is reconnecting anyway).
      this.opts.log.debug({ err: errorMessage(e) }, 'worker watchdog could not read the queue');
    } finally {
      this.busy = false;
    }
  }

  /** The backlog, or 'hung' when the read timed out while Redis answered this agent elsewhere. */
  private async backlog(): Promise<Backlog | 'hung'> {
    const startedAt = this.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ReadTimeout('queue read timed out')), this.opts.readTimeoutMs ?? this.opts.stallAfterMs);
    });
    try {
      return await Promise.race([this.worker.backlog(), timeout]);
    } catch (e: unknown) {
      if (e instanceof ReadTimeout && this.worker.answeredSince(startedAt)) return 'hung';
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private async inspect(): Promise<void> {
    const startedAt = this.now();
    if (!this.worker.wantsWork()) {
      this.readySince = null;
      return;
    }
    const backlog = await this.backlog();
    // A hung read: the worker's connection is stuck, so it cannot take what may be waiting.
    const hung = backlog === 'hung';
    const { ready, paused } = hung ? { ready: 1, paused: false } : backlog;
    if (this.readySince !== null && this.worker.lastTakenAt() > this.readySince) {
      // It took a job since work became ready: listening (and any earlier recovery worked).
      this.readySince = null;
      this.failedRecoveries = 0;
    }
    if (ready === 0 || paused) {
      this.readySince = null;
      return;
    }
    this.readySince ??= startedAt;
    const idleMs = this.now() - this.readySince;
    if (idleMs < this.opts.stallAfterMs) return;
    if (!(await this.worker.writable())) {
      this.opts.log.info({ ready, idleMs }, 'jobs wait but Redis refuses writes (failover?); the worker is not deaf');
      this.readySince = this.now();
      return;
    }

    const maxRecoveries = this.opts.maxRecoveries ?? 3;
    if (this.failedRecoveries >= maxRecoveries) {
      this.opts.log.error({ ready, idleMs, recoveries: this.failedRecoveries }, 'worker still deaf after reconnecting; restarting the agent');
      this.stop();
      this.worker.restart();
      return;
    }
    this.failedRecoveries++;
    this.opts.log.warn(
      { ready: hung ? 'unknown' : ready, hung, idleMs, attempt: this.failedRecoveries },
      hung ? 'worker connection hung (no answer while the heartbeat reaches Redis); reconnecting it' : 'worker deaf: jobs are ready and slots free but none taken; reconnecting it',
    );
    this.opts.onRecovery?.();
    this.readySince = this.now(); // give the recovery a whole period
    await this.worker.recover();
  }
}
