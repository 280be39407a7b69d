/**
 * Throw from a handler to fail the stage with a code of your own. Retryable by default: BullMQ
 * retries it with the stage's backoff while attempts remain.
 */
export class StageFailure extends Error {
  override name = 'StageFailure';
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;
  constructor(
    readonly code: string,
    message: string,
    opts: { retryable?: boolean; details?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.retryable = opts.retryable ?? true;
    this.details = opts.details;
  }
}

/** A failure no retry can fix (bad input, a merge conflict, ...): the stage fails at once. */
export class NonRetryableError extends StageFailure {
  override name = 'NonRetryableError';
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(code, message, { retryable: false, ...(details ? { details } : {}) });
  }
}
