import { JobNotice } from '@baton/contracts';
import { errorMessage, type RedisClient } from '@baton/platform';
import type { EngineContext } from './context.js';
import { applyJob } from './job-applier.js';

/**
 * Listens to the agents' doorbells (pub/sub) and applies the job each one names right away. Only a
 * latency optimisation: a lost message is picked up by the sweeper or the reconciler.
 */
export class JobNoticeListener {
  private readonly inFlight = new Map<string, { again: boolean }>();

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
      this.handle(notice.queue, notice.jobId);
    });
    await this.subscriber.subscribe(this.ctx.keys.jobNotices());
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
    await this.subscriber.unsubscribe(this.ctx.keys.jobNotices()).catch(() => undefined);
  }
}
