import type { ApiErrorCode, ApiIssue } from '@baton/contracts';

/** Codes the client itself produces: the orchestrator could not be reached, or answered something that is not the API. */
export type ClientErrorCode = 'UNREACHABLE' | 'TIMEOUT' | 'BAD_RESPONSE';
export type BatonErrorCode = ApiErrorCode | ClientErrorCode;

/**
 * A failed call. `code` is the API's catalogue code (contracts/errors.ts) or a client code;
 * `status` is the HTTP status (0 when no answer came). Branch on `code`, never on `message`.
 */
export class BatonApiError extends Error {
  override readonly name = 'BatonApiError';
  constructor(
    readonly status: number,
    readonly code: BatonErrorCode,
    message: string,
    readonly issues: ApiIssue[] = [],
    readonly requestId?: string,
    /** From `Retry-After` (429, 503), in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** Narrows to one code: `if (e instanceof BatonApiError && e.is('RUN_NOT_FOUND'))`. */
  is<C extends BatonErrorCode>(code: C): this is BatonApiError & { code: C } {
    return this.code === code;
  }
}

/** Whether waiting and trying again can help (no answer, 502–504, or a rate limit). */
export function isTransient(e: unknown): e is BatonApiError {
  return e instanceof BatonApiError && (e.status === 0 || e.status === 429 || e.status === 502 || e.status === 503 || e.status === 504);
}
