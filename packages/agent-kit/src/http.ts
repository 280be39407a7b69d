export { freePort } from '@baton/platform';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether something accepts connections on 127.0.0.1:`port`. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(true));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(false)));
  });
}

export interface HttpWaitResult {
  ok: boolean;
  /** Last status seen; null when nothing answered. */
  status: number | null;
  attempts: number;
  elapsedMs: number;
  reason?: string;
}

export interface HttpWaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  requestTimeoutMs?: number;
  signal?: AbortSignal;
  /** Checked between attempts: a reason stops the wait at once (e.g. "the app exited with code 1"). */
  stopIf?: () => string | null | Promise<string | null>;
  /** Which statuses count as ready (default: 2xx). */
  accept?: (status: number) => boolean;
}

/** Any answer below 500: the server is up, whatever it thinks of the path (for apps without a health route). */
export const answersBelow500 = (status: number): boolean => status < 500;

/** Polls `url` until it answers 2xx (or what `accept` accepts), the deadline passes, `stopIf` gives a reason, or the signal fires. */
export async function waitForHttp(url: string, opts: HttpWaitOptions): Promise<HttpWaitResult> {
  const started = Date.now();
  let attempts = 0;
  let status: number | null = null;
  let lastError = '';
  const result = (ok: boolean, reason?: string): HttpWaitResult => ({ ok, status, attempts, elapsedMs: Date.now() - started, ...(reason ? { reason } : {}) });
  for (;;) {
    if (opts.signal?.aborted) return result(false, 'aborted');
    const stop = await opts.stopIf?.();
    if (stop) return result(false, stop);
    attempts++;
    try {
      const timeout = AbortSignal.timeout(opts.requestTimeoutMs ?? 2000);
      const res = await fetch(url, { signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout, redirect: 'manual' });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (opts.accept ? opts.accept(res.status) : res.status >= 200 && res.status < 300) return result(true);
      lastError = `answered ${res.status}`;
    } catch (e: unknown) {
      lastError = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
    }
    if (Date.now() - started >= opts.timeoutMs) return result(false, `${url} did not answer ${opts.accept ? 'as expected' : '2xx'} within ${opts.timeoutMs} ms (last: ${lastError})`);
    try {
      await sleep(opts.intervalMs ?? 200, undefined, opts.signal ? { signal: opts.signal } : {});
    } catch {
      return result(false, 'aborted');
    }
  }
}
