import type { AuditEntry } from '@baton/contracts';

type Entry = Omit<AuditEntry, 'id'>;

/** Denied requests audited one by one per client address and window; the rest are counted. */
export const DENIED_AUDIT_PER_WINDOW = 20;
export const DENIED_AUDIT_WINDOW_MS = 60_000;

interface Window {
  startedAt: number;
  written: number;
  suppressed: number;
  last: Entry | null;
}

/**
 * Keeps a flood of denied requests (forged keys, 429s) from pushing real entries out of the capped
 * audit stream: per client address, the first `perWindow` denied requests of a window are written
 * as they are, the rest are summarised in one entry when the window ends.
 */
export class DeniedAuditThrottle {
  private readonly windows = new Map<string, Window>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly write: (entry: Entry) => void,
    private readonly perWindow = DENIED_AUDIT_PER_WINDOW,
    private readonly windowMs = DENIED_AUDIT_WINDOW_MS,
  ) {
    this.timer = setInterval(() => this.flush(false), Math.max(1000, Math.floor(windowMs / 4)));
    this.timer.unref();
  }

  /** Writes the entry now, or counts it for the summary. */
  offer(entry: Entry): void {
    const now = Date.now();
    let w = this.windows.get(entry.ip);
    if (w && now - w.startedAt >= this.windowMs) {
      this.summarise(w);
      w = undefined;
    }
    if (!w) this.windows.set(entry.ip, (w = { startedAt: now, written: 0, suppressed: 0, last: null }));
    if (w.written < this.perWindow) {
      w.written++;
      this.write(entry);
    } else {
      w.suppressed++;
      w.last = entry;
    }
  }

  /** Summarises ended windows (or all of them, on close). */
  flush(all: boolean): void {
    const now = Date.now();
    for (const [ip, w] of this.windows) {
      if (!all && now - w.startedAt < this.windowMs) continue;
      this.summarise(w);
      this.windows.delete(ip);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush(true);
  }

  private summarise(w: Window): void {
    if (w.suppressed === 0 || !w.last) return;
    const since = new Date(w.startedAt).toISOString();
    this.write({
      ...w.last,
      at: new Date().toISOString(),
      route: '(denied requests summarised)',
      path: `${w.suppressed} more denied requests from ${w.last.ip} since ${since}; the last one: ${w.last.method} ${w.last.path}`.slice(0, 500),
    });
    w.suppressed = 0;
  }
}
