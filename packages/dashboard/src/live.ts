/**
 * Server-sent events as doorbells: every event (and every reconnect) schedules one refresh of the
 * authoritative state, at most every `minGapMs`, so a burst of changes costs one request.
 * EventSource sends the session cookie (same origin); the API key is never in a URL.
 */
export function liveRefresh(url: string, refresh: () => Promise<void>, opts: { minGapMs?: number; events?: string[]; onEvent?: (type: string, data: string, id: string) => boolean | void } = {}): () => void {
  const gap = opts.minGapMs ?? 300;
  let timer: number | null = null;
  let running = false;
  let again = false;
  let lastRun = 0;
  let closed = false;
  const schedule = () => {
    if (closed || timer !== null) return;
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
  let es: EventSource;
  let reopen: number | null = null;
  const connect = () => {
    reopen = null;
    es = new EventSource(url);
    es.addEventListener('open', schedule);
    // EventSource retries network errors by itself but gives up on an HTTP error (401 after the
    // session ended, 503 while Redis is away): refresh once (the page shows why), then try again.
    es.addEventListener('error', () => {
      if (closed || es.readyState !== EventSource.CLOSED) return;
      schedule();
      reopen = window.setTimeout(connect, 5000);
    });
    for (const type of opts.events ?? ['message']) {
      es.addEventListener(type, (e) => {
        const me = e as MessageEvent<string>;
        if (opts.onEvent?.(type, me.data, me.lastEventId) === true) es.close();
        schedule();
      });
    }
  };
  connect();
  return () => {
    closed = true;
    es.close();
    if (timer !== null) clearTimeout(timer);
    if (reopen !== null) clearTimeout(reopen);
  };
}
