import type { ApiErrorCode, ApiIssue } from '@baton/contracts';

/** An error the API maps to its catalogue status (see contracts/errors.ts). */
export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly issues?: ApiIssue[],
  ) {
    super(message);
  }
}
