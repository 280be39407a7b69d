import { JobNotice } from '@baton/contracts';
import { errorMessage, whenReady, type RedisClient } from '@baton/platform';
import type { EngineContext } from './context.js';
import { applyJob } from './job-applier.js';

/** How long an "active" notice waits for the same job's completion before it is applied on its own. */
export const ACTIVE_DEFER_MS = 100;

/**
 * Listens to the agents' doorbells (pub/sub) and applies the job each one names right away. Only a
 * latency optimisation: a lost message is picked up by the sweeper or the reconciler.
 */
export class JobNoticeListener {
  private readonly inFlight = new Map<string, { again: boolean }>();
  private readonly deferred = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly subscriber: RedisClient,
  ) {}

  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.ctx.keys.jobNotices()) return;
      let notice: JobNotice;
      try {
        notice = JobNotice.parse(JSON.parse(message));
      } catch {
        this.ctx.log.warn({ message: message.slice(0, 200) }, 'ignoring malformed job notice');
        return;
      }
      this.route(notice.queue, notice.jobId, notice.event);
    });
    await whenReady(this.subscriber);
    await this.subscriber.subscribe(this.ctx.keys.jobNotices());
  }

  /**
   * "active" notices wait ACTIVE_DEFER_MS: a short stage's completion usually arrives first and is
   * applied alone (one transition instead of two). Any other notice for the job applies it at once.
   */
  private route(queue: string, jobId: string, event: JobNotice['event']): void {
    const key = `${queue}/${jobId}`;
    const pending = this.deferred.get(key);
    if (event === 'active') {
      if (pending) return;
      const timer = setTimeout(() => {
        this.deferred.delete(key);
        this.handle(queue, jobId);
      }, ACTIVE_DEFER_MS);
      this.deferred.set(key, timer);
      return;
    }
    if (pending) {
      clearTimeout(pending);
      this.deferred.delete(key);
    }
    this.handle(queue, jobId);
  }

  /** Applies a job, coalescing notices that arrive while the same job is being applied. */
  private handle(queue: string, jobId: string): void {
    const key = `${queue}/${jobId}`;
    const cur = this.inFlight.get(key);
    if (cur) {
      cur.again = true;
      return;
    }
    const state = { again: false };
    this.inFlight.set(key, state);
    void (async () => {
      try {
        do {
          state.again = false;
          await applyJob(this.ctx, queue, jobId);
        } while (state.again);
      } catch (e: unknown) {
        this.ctx.log.debug({ jobId, err: errorMessage(e) }, 'job notice not applied; the sweeper will retry');
      } finally {
        this.inFlight.delete(key);
      }
    })();
  }

  async stop(): Promise<void> {
    for (const t of this.deferred.values()) clearTimeout(t);
    this.deferred.clear();
    await this.subscriber.unsubscribe(this.ctx.keys.jobNotices()).catch(() => undefined);
  }
}
