/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A signal that aborts with `parent` or after `timeoutMs`; call `done()` to let go of both. */
export function abortable(parent: AbortSignal | undefined, timeoutMs: number | undefined): { signal: AbortSignal; done: () => void; timedOut: () => boolean } {
  const controller = new AbortController();
  let expired = false;
  const onAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener('abort', onAbort, { once: true });
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          expired = true;
          controller.abort(new Error('timeout'));
        }, timeoutMs);
  return {
    signal: controller.signal,
    done: () => {
      if (timer !== undefined) clearTimeout(timer);
      parent?.removeEventListener('abort', onAbort);
    },
    timedOut: () => expired,
  };
}

/** Exponential back-off with jitter: about `base · 2^(n-1)`, at most `max`. */
export function backoff(n: number, base: number, max: number): number {
  const full = Math.min(max, base * 2 ** Math.max(0, n - 1));
  return Math.round(full / 2 + Math.random() * (full / 2));
}
