export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Describes what was awaited, for the failure message. */
  what?: string;
}

/**
 * Polls `probe` until it returns something other than undefined/false, and returns that. Tests use
 * this instead of fixed sleeps. Errors thrown by the probe count as "not yet" (e.g. Redis restarting).
 */
export async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, opts: WaitOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let last: unknown = undefined;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (e: unknown) {
      last = e;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'} (last: ${detail})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
