import type { RawUsage } from './types.js';

export type ProviderFailureKind = 'rate_limited' | 'overloaded' | 'disconnected' | 'aborted' | 'invalid_output' | 'fatal';

/**
 * A provider call that did not produce a response. `rate_limited`, `overloaded` and `disconnected`
 * are retried inside the stage attempt (they do not use the stage's attempts); `fatal` fails it.
 */
export class ProviderFailure extends Error {
  override name = 'ProviderFailure';
  constructor(
    readonly kind: ProviderFailureKind,
    message: string,
    readonly status: number | null,
    /** The provider's retry-after (ms), when it sent one. */
    readonly retryAfterMs: number | null,
    /** Usage the provider reported before the call broke off (a mid-stream disconnect). */
    readonly partialUsage: RawUsage | null = null,
  ) {
    super(message);
  }
}

type HeaderBag = { get?: (name: string) => string | null } | Record<string, string | undefined> | undefined | null;

function header(headers: HeaderBag, name: string): string | null {
  if (!headers) return null;
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get: (n: string) => string | null }).get(name);
  const v = (headers as Record<string, string | undefined>)[name];
  return v ?? null;
}

/** retry-after-ms (OpenAI), else retry-after in seconds or as an HTTP date; null when absent. */
export function retryAfterMs(headers: HeaderBag, now = Date.now()): number | null {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== null && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = header(headers, 'retry-after');
  if (ra === null) return null;
  if (/^\d+(\.\d+)?$/.test(ra.trim())) return Math.max(0, Number(ra) * 1000);
  const at = Date.parse(ra);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

interface SdkErrorShape {
  status?: number | undefined;
  headers?: HeaderBag;
  error?: { type?: string; error?: { type?: string } } | undefined;
  name?: string;
  message?: string;
}

/** Maps an SDK error (either SDK's APIError family) to a ProviderFailure. */
export function fromSdkError(e: unknown, signal: AbortSignal, partialUsage: RawUsage | null): ProviderFailure {
  if (e instanceof ProviderFailure) return e;
  const err = (e ?? {}) as SdkErrorShape;
  const message = typeof err.message === 'string' ? err.message : String(e);
  if (signal.aborted || err.name === 'APIUserAbortError' || err.name === 'AbortError') return new ProviderFailure('aborted', message, null, null, partialUsage);
  const status = typeof err.status === 'number' ? err.status : null;
  const type = err.error?.error?.type ?? err.error?.type;
  const after = retryAfterMs(err.headers);
  if (status === 429 || type === 'rate_limit_error') return new ProviderFailure('rate_limited', message, status, after, partialUsage);
  if (status === 529 || status === 503 || type === 'overloaded_error') return new ProviderFailure('overloaded', message, status, after, partialUsage);
  if (status === null || status >= 500 || err.name === 'APIConnectionError' || err.name === 'APIConnectionTimeoutError') {
    return new ProviderFailure('disconnected', message, status, after, partialUsage);
  }
  return new ProviderFailure('fatal', message, status, null, partialUsage);
}
