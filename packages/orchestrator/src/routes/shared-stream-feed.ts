import { errorMessage } from '@baton/platform';
import type { RunNoticeHub } from '../run-notice-hub.js';

/** One entry of a Redis stream as sent to a server-sent-event stream. */
export interface FeedEvent {
  id: string;
  json: string;
  /** The SSE `event:` name, when the source knows it. */
  event?: string;
}

/** What one pass over a watched stream reads: whether it is over, and its entries after an id. */
export interface FeedSource {
  /**
   * Called once per pass, before any read: `over` (the state before the reads, so entries written
   * before the end are still read by this pass) and `read`, or null when there is nothing to read yet.
   */
  begin(): Promise<{ over: boolean; read: ((after: string, count: number) => Promise<FeedEvent[]>) | null }>;
}

interface Subscriber {
  last: string;
  send(e: FeedEvent): void;
  end(): void;
}

interface Watch {
  source: FeedSource;
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
 * The Redis reads behind server-sent-event streams of this process, shared: one poller per feed
 * (a timer, plus the run's pub/sub notices) and, per watched stream, one pass at a time that reads
 * its new entries once for all of that stream's subscribers, however many are open. A pass serves
 * the subscribers present when it started (each from its own position); one that joins meanwhile
 * is served by the next pass, so none misses or repeats an entry.
 */
export class SharedStreamFeed {
  private readonly watches = new Map<string, Watch>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly notices: RunNoticeHub,
    private readonly log: { warn(obj: object, msg: string): void },
    private readonly opts: { pollMs: number; page: number },
  ) {}

  /**
   * Sends the entries of the stream `key` after `last`, then live ones; calls `end` once a pass
   * found it over (or on an error). `source` is made when the stream is first watched; `runId`'s
   * notices wake the poller early.
   */
  subscribe(key: string, runId: string, source: () => FeedSource, last: string, send: (e: FeedEvent) => void, end: () => void): () => void {
    let w = this.watches.get(key);
    if (!w) {
      w = { source: source(), subs: new Set(), busy: false, again: false, unnotice: this.notices.on(runId, () => void this.poll(key)) };
      this.watches.set(key, w);
    }
    const sub: Subscriber = { last, send, end };
    w.subs.add(sub);
    this.timer ??= setInterval(() => {
      for (const k of this.watches.keys()) void this.poll(k);
    }, this.opts.pollMs).unref();
    void this.poll(key);
    return () => this.remove(key, sub);
  }

  /** Subscribers open in this process, and streams they watch (for tests and metrics). */
  stats(): { streams: number; watched: number } {
    let streams = 0;
    for (const w of this.watches.values()) streams += w.subs.size;
    return { streams, watched: this.watches.size };
  }

  stop(): void {
    for (const [key, w] of this.watches) for (const s of [...w.subs]) this.remove(key, s);
  }

  private remove(key: string, sub: Subscriber): void {
    const w = this.watches.get(key);
    if (!w || !w.subs.delete(sub)) return;
    if (w.subs.size > 0) return;
    w.unnotice();
    this.watches.delete(key);
    if (this.watches.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private async poll(key: string): Promise<void> {
    const w = this.watches.get(key);
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
        const { over, read } = await w.source.begin();
        if (read) {
          let from = serving.reduce((min, s) => (streamIdAfter(min, s.last) ? s.last : min), serving[0]!.last);
          for (;;) {
            const batch = await read(from, this.opts.page);
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
        }
        if (over) for (const s of serving) if (w.subs.has(s)) this.finish(key, s);
      } while (w.again && this.watches.get(key) === w);
    } catch (e: unknown) {
      this.log.warn({ stream: key, err: errorMessage(e) }, 'event stream ended by an error');
      for (const s of [...w.subs]) this.finish(key, s);
    } finally {
      w.busy = false;
    }
  }

  private finish(key: string, s: Subscriber): void {
    this.remove(key, s);
    s.end();
  }
}
