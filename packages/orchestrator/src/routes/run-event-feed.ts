import { TERMINAL_RUN_STATUSES } from '@baton/contracts';
import type { Engine } from '@baton/engine';
import { errorMessage } from '@baton/platform';
import type { RunNoticeHub } from '../run-notice-hub.js';

export interface FeedEvent {
  id: string;
  json: string;
}

interface Subscriber {
  last: string;
  send(e: FeedEvent): void;
  end(): void;
}

interface Watch {
  subs: Set<Subscriber>;
  busy: boolean;
  again: boolean;
  unnotice: () => void;
}

/** Compares Redis stream ids (`<ms>-<seq>`) numerically. */
export function streamIdAfter(a: string, b: string): boolean {
  const [am = 0n, as = 0n] = a.split('-').map(BigInt);
  const [bm = 0n, bs = 0n] = b.split('-').map(BigInt);
  return am > bm || (am === bm && as > bs);
}

/**
 * The Redis reads behind every run event stream of this process, shared: one poller per process
 * (a timer, plus the run's pub/sub notices) and, per watched run, one pass at a time that loads
 * the run and reads its new events once for all of that run's streams, however many are open.
 * A pass serves the streams present when it started (each from its own position); a stream that
 * joins meanwhile is served by the next pass, so none misses or repeats an event.
 */
export class RunEventFeed {
  private readonly runs = new Map<string, Watch>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly notices: RunNoticeHub,
    private readonly log: { warn(obj: object, msg: string): void },
    private readonly opts: { pollMs: number; page: number } = { pollMs: 5000, page: 500 },
  ) {}

  /** Sends the run's events after `last`, then live ones; calls `end` after the run's final event (or on an error). */
  subscribe(runId: string, last: string, send: (e: FeedEvent) => void, end: () => void): () => void {
    let w = this.runs.get(runId);
    if (!w) {
      w = { subs: new Set(), busy: false, again: false, unnotice: this.notices.on(runId, () => void this.poll(runId)) };
      this.runs.set(runId, w);
    }
    const sub: Subscriber = { last, send, end };
    w.subs.add(sub);
    this.timer ??= setInterval(() => {
      for (const id of this.runs.keys()) void this.poll(id);
    }, this.opts.pollMs).unref();
    void this.poll(runId);
    return () => this.remove(runId, sub);
  }

  /** Streams open in this process, and runs they watch (for tests and metrics). */
  stats(): { streams: number; runs: number } {
    let streams = 0;
    for (const w of this.runs.values()) streams += w.subs.size;
    return { streams, runs: this.runs.size };
  }

  stop(): void {
    for (const [runId, w] of this.runs) for (const s of [...w.subs]) this.remove(runId, s);
  }

  private remove(runId: string, sub: Subscriber): void {
    const w = this.runs.get(runId);
    if (!w || !w.subs.delete(sub)) return;
    if (w.subs.size > 0) return;
    w.unnotice();
    this.runs.delete(runId);
    if (this.runs.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private async poll(runId: string): Promise<void> {
    const w = this.runs.get(runId);
    if (!w) return;
    if (w.busy) {
      w.again = true;
      return;
    }
    w.busy = true;
    try {
      do {
        w.again = false;
        const serving = [...w.subs];
        if (serving.length === 0) break;
        // The status before the events: if the run was already over, its final event is in the stream.
        const doc = await this.engine.get(runId);
        let from = serving.reduce((min, s) => (streamIdAfter(min, s.last) ? s.last : min), serving[0]!.last);
        for (;;) {
          const batch = await this.engine.events(runId, from, this.opts.page);
          for (const e of batch) {
            for (const s of serving) {
              if (!w.subs.has(s) || !streamIdAfter(e.id, s.last)) continue;
              s.send(e);
              s.last = e.id;
            }
          }
          if (batch.length < this.opts.page) break;
          from = batch[batch.length - 1]!.id;
        }
        if (!doc || TERMINAL_RUN_STATUSES.has(doc.status)) for (const s of serving) if (w.subs.has(s)) this.finish(runId, s);
      } while (w.again && this.runs.get(runId) === w);
    } catch (e: unknown) {
      this.log.warn({ runId, err: errorMessage(e) }, 'event stream ended by an error');
      for (const s of [...w.subs]) this.finish(runId, s);
    } finally {
      w.busy = false;
    }
  }

  private finish(runId: string, s: Subscriber): void {
    this.remove(runId, s);
    s.end();
  }
}
