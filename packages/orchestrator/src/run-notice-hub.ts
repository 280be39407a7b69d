import { RunNotice, type Keys } from '@baton/contracts';
import { whenReady, type RedisClient } from '@baton/platform';

type Listener = () => void;

/**
 * Fans the "run committed" pub/sub notices out to the SSE streams of this process. Live
 * notification only: streams also poll, so a lost message delays an event by one poll at most.
 * Subscribed only while some stream listens: a busy orchestrator with no one watching does not
 * receive (and parse) a message per committed transition.
 */
export class RunNoticeHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly anyListeners = new Set<(runId: string) => void>();
  private subscribed = false;
  private stopped = false;
  /** Subscribe/unsubscribe calls, in order. */
  private changes: Promise<void> = Promise.resolve();

  constructor(
    private readonly subscriber: RedisClient,
    private readonly keys: Keys,
  ) {}

  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.keys.runNotices()) return;
      const parsed = RunNotice.safeParse(safeJson(message));
      if (!parsed.success) return;
      for (const l of this.listeners.get(parsed.data.runId) ?? []) l();
      for (const l of this.anyListeners) l(parsed.data.runId);
    });
  }

  /** Subscribes when the first listener arrives and unsubscribes when the last one leaves. */
  private sync(): void {
    const want = !this.stopped && this.size() > 0;
    if (want === this.subscribed) return;
    this.subscribed = want;
    const channel = this.keys.runNotices();
    this.changes = this.changes
      .then(async () => {
        if (want) {
          await whenReady(this.subscriber); // see whenReady: a subscription made during the handshake can be lost
          await this.subscriber.subscribe(channel);
        } else {
          await this.subscriber.unsubscribe(channel);
        }
      })
      .catch(() => undefined); // ioredis resubscribes on reconnect; streams poll meanwhile
  }

  /** Calls `fn` whenever run `runId` changes; returns an unsubscribe function. */
  on(runId: string, fn: Listener): () => void {
    let set = this.listeners.get(runId);
    if (!set) {
      set = new Set();
      this.listeners.set(runId, set);
    }
    set.add(fn);
    this.sync();
    return () => {
      set.delete(fn);
      if (set.size === 0) this.listeners.delete(runId);
      this.sync();
    };
  }

  /** Calls `fn` whenever any run changes (the dashboard's list feed); returns an unsubscribe function. */
  onAny(fn: (runId: string) => void): () => void {
    this.anyListeners.add(fn);
    this.sync();
    return () => {
      this.anyListeners.delete(fn);
      this.sync();
    };
  }

  /** Number of live subscriptions (SSE streams) in this process. */
  size(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n + this.anyListeners.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sync();
    await this.changes;
  }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}
