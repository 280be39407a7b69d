import { RunNotice, type Keys } from '@baton/contracts';
import { whenReady, type RedisClient } from '@baton/platform';

type Listener = () => void;

/**
 * Fans the "run committed" pub/sub notices out to the SSE streams of this process. Live
 * notification only: streams also poll, so a lost message delays an event by one poll at most.
 */
export class RunNoticeHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly anyListeners = new Set<(runId: string) => void>();

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
    await whenReady(this.subscriber); // see whenReady: a subscription made during the handshake can be lost
    await this.subscriber.subscribe(this.keys.runNotices());
  }

  /** Calls `fn` whenever run `runId` changes; returns an unsubscribe function. */
  on(runId: string, fn: Listener): () => void {
    let set = this.listeners.get(runId);
    if (!set) {
      set = new Set();
      this.listeners.set(runId, set);
    }
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.listeners.delete(runId);
    };
  }

  /** Calls `fn` whenever any run changes (the dashboard's list feed); returns an unsubscribe function. */
  onAny(fn: (runId: string) => void): () => void {
    this.anyListeners.add(fn);
    return () => this.anyListeners.delete(fn);
  }

  /** Number of live subscriptions (SSE streams) in this process. */
  size(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n + this.anyListeners.size;
  }

  async stop(): Promise<void> {
    await this.subscriber.unsubscribe(this.keys.runNotices()).catch(() => undefined);
  }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}
