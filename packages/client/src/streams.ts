import { BatonApiError, isTransient } from './errors.js';
import { readSse, type SseMessage } from './sse.js';
import { backoff, sleep } from './timing.js';
import type { Transport } from './transport.js';

export interface ReconnectOptions {
  /** First wait before reconnecting (default: the server's `retry:` value, else 1 s); doubles per failure. */
  initialDelayMs?: number;
  /** The longest wait between attempts (default 15 s). */
  maxDelayMs?: number;
  /** Consecutive failed connections (no event received) before giving up (default 20). */
  maxAttempts?: number;
}

export interface StreamOptions {
  /** Resume after this event id (sent as `Last-Event-ID`). */
  lastEventId?: string;
  signal?: AbortSignal;
  reconnect?: ReconnectOptions;
}

/**
 * Server-sent events over fetch, reconnecting with back-off: after a dropped connection, an
 * orchestrator restart or a transient answer (503, 502, 504, 429, no answer) it reconnects with
 * `Last-Event-ID`, so no event is lost or repeated. Any other error answer (404, 401, 403) is thrown.
 * When the server ends a connection and `isEnd` holds for the last event received, the stream is
 * over (a run's final event: a `run.failed` followed by `run.retried` in a replay is not the end,
 * because the server keeps that stream open).
 */
export async function* eventStream(transport: Transport, path: string, opts: StreamOptions, isEnd: (m: SseMessage) => boolean = () => false): AsyncGenerator<SseMessage> {
  let lastId = opts.lastEventId;
  let last: SseMessage | null = null;
  let serverRetry: number | undefined;
  let failures = 0;
  const max = opts.reconnect?.maxAttempts ?? 20;
  for (;;) {
    let lastError: unknown = null;
    try {
      const res = await transport.send({ method: 'GET', path, stream: true, retry: false, headers: lastId ? { 'last-event-id': lastId } : {}, ...(opts.signal ? { signal: opts.signal } : {}) });
      if (!res.body) throw new BatonApiError(res.status, 'BAD_RESPONSE', `GET ${path} answered without a body`);
      for await (const m of readSse(res.body, lastId)) {
        if (m.retry !== undefined) serverRetry = m.retry;
        if (m.data === '' && m.retry !== undefined) continue;
        lastId = m.id;
        last = m;
        failures = 0;
        yield m;
      }
      if (last && isEnd(last)) return;
    } catch (e: unknown) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? e;
      // A body that breaks off (the orchestrator died mid-stream) is a dropped connection.
      if (e instanceof BatonApiError && !isTransient(e)) throw e;
      lastError = e;
    }
    // The stream ended or broke before its last event: reconnect after a back-off.
    failures++;
    if (failures > max) {
      const why = lastError instanceof Error ? lastError.message : 'the stream kept ending';
      throw lastError instanceof BatonApiError ? lastError : new BatonApiError(0, 'UNREACHABLE', `gave up on GET ${path} after ${max} reconnects: ${why}`);
    }
    const base = opts.reconnect?.initialDelayMs ?? serverRetry ?? 1000;
    const wait = backoff(failures, base, opts.reconnect?.maxDelayMs ?? 15_000);
    const retryAfter = lastError instanceof BatonApiError ? lastError.retryAfterMs : undefined;
    await sleep(Math.max(wait, Math.min(retryAfter ?? 0, opts.reconnect?.maxDelayMs ?? 15_000)), opts.signal);
  }
}
