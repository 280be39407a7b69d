/**
 * Server-sent events as doorbells: every event (and the start) schedules one refresh of the
 * authoritative state, at most every `minGapMs`, so a burst of changes costs one request. The
 * stream comes from @baton/client, which reconnects with back-off and resumes with Last-Event-ID;
 * if it gives up (401 after the session ended, a long outage), the page refreshes once (it shows
 * why) and opens it again 5 s later. A stream that ends by itself (a finished run) is not reopened.
 */
export function liveRefresh<E>(open: (signal: AbortSignal) => AsyncIterable<E>, refresh: () => Promise<void>, opts: { minGapMs?: number; onEvent?: (e: E) => void } = {}): () => void {
  const gap = opts.minGapMs ?? 300;
  const controller = new AbortController();
  let timer: number | null = null;
  let running = false;
  let again = false;
  let lastRun = 0;
  let reopen: number | null = null;
  const closed = () => controller.signal.aborted;
  const schedule = () => {
    if (closed() || timer !== null) return;
    timer = window.setTimeout(run, Math.max(0, lastRun + gap - Date.now()));
  };
  const run = async () => {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = true;
    lastRun = Date.now();
    try {
      await refresh();
    } catch {
      // the page shows its own error state
    } finally {
      running = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };
  const connect = async () => {
    reopen = null;
    schedule();
    try {
      for await (const e of open(controller.signal)) {
        opts.onEvent?.(e);
        schedule();
      }
    } catch {
      if (closed()) return;
      schedule();
      reopen = window.setTimeout(() => void connect(), 5000);
    }
  };
  void connect();
  return () => {
    controller.abort();
    if (timer !== null) clearTimeout(timer);
    if (reopen !== null) clearTimeout(reopen);
  };
}
