import { TERMINAL_RUN_STATUSES } from '@baton/contracts';
import type { Engine } from '@baton/engine';
import type { RunNoticeHub } from '../run-notice-hub.js';
import { SharedStreamFeed, type FeedEvent } from './shared-stream-feed.js';

export { streamIdAfter, type FeedEvent } from './shared-stream-feed.js';

/**
 * The Redis reads behind every run event stream of this process, shared (SharedStreamFeed): per
 * watched run, one pass at a time loads the run and reads its new events once for all of that
 * run's streams. The run's status is read before its events: if the run was already over, its
 * final event is in the stream, and the streams end after it.
 */
export class RunEventFeed {
  private readonly feed: SharedStreamFeed;

  constructor(
    private readonly engine: Engine,
    notices: RunNoticeHub,
    log: { warn(obj: object, msg: string): void },
    opts: { pollMs: number; page: number } = { pollMs: 5000, page: 500 },
  ) {
    this.feed = new SharedStreamFeed(notices, log, opts);
  }

  /** Sends the run's events after `last`, then live ones; calls `end` after the run's final event (or on an error). */
  subscribe(runId: string, last: string, send: (e: FeedEvent) => void, end: () => void): () => void {
    const source = () => ({
      begin: async () => {
        const doc = await this.engine.get(runId);
        return { over: !doc || TERMINAL_RUN_STATUSES.has(doc.status), read: (after: string, count: number) => this.engine.events(runId, after, count) };
      },
    });
    return this.feed.subscribe(runId, runId, source, last, send, end);
  }

  /** Streams open in this process, and runs they watch (for tests and metrics). */
  stats(): { streams: number; runs: number } {
    const s = this.feed.stats();
    return { streams: s.streams, runs: s.watched };
  }

  stop(): void {
    this.feed.stop();
  }
}
