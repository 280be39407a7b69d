import { z } from 'zod';

/**
 * The one catalogue of error codes. API errors carry an HTTP status; stage errors say whether a
 * retry could help. Callers branch on `code`, never on message text.
 */
export const API_ERRORS = {
  INVALID_REQUEST: { status: 400, message: 'The request is invalid' },
  INVALID_PIPELINE: { status: 400, message: 'The pipeline definition is invalid' },
  UNAUTHORIZED: { status: 401, message: 'Authentication is required' },
  FORBIDDEN: { status: 403, message: 'This key may not do that' },
  SECRET_SCOPE_DENIED: { status: 403, message: 'A secret the request names may not be used there or by this key' },
  APP_NOT_OWNED: { status: 403, message: 'This deployment app belongs to another key' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  RUN_NOT_FOUND: { status: 404, message: 'No such run' },
  PIPELINE_NOT_FOUND: { status: 404, message: 'No such pipeline' },
  AGENT_NOT_FOUND: { status: 404, message: 'No such agent' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  INVALID_STATE: { status: 409, message: 'The run is not in a state that allows this' },
  IDEMPOTENCY_CONFLICT: { status: 409, message: 'This Idempotency-Key was used with a different request' },
  IDEMPOTENCY_RUN_DELETED: { status: 410, message: "This Idempotency-Key's run was deleted by retention; use a new key" },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  STAGE_INPUT_TOO_LARGE: { status: 413, message: "A stage's resolved input would exceed the size limit" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send application/json' },
  RATE_LIMITED: { status: 429, message: 'Too many requests' },
  TOO_MANY_ACTIVE_RUNS: { status: 429, message: 'This key has too many active runs; wait for some to finish' },
  TOO_MANY_STREAMS: { status: 429, message: 'This caller has too many event streams open; close one first' },
  INTERNAL: { status: 500, message: 'Internal error' },
  REDIS_UNAVAILABLE: { status: 503, message: 'The state store is unavailable; retry later' },
  REDIS_OUT_OF_MEMORY: { status: 503, message: 'The state store is full; retry later' },
  STREAMS_EXHAUSTED: { status: 503, message: 'This orchestrator process serves as many event streams as it may; retry later' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

export const ApiIssue = z.object({
  path: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
});
export type ApiIssue = z.infer<typeof ApiIssue>;

/** Body of every 4xx/5xx response. */
export const ApiErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(ApiIssue).optional(),
  }),
  requestId: z.string().optional(),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

/** Stage failure codes the platform itself produces. Agents may add their own (any UPPER_SNAKE code). */
export const STAGE_ERRORS = {
  HANDLER_ERROR: { retryable: true, message: 'The agent handler threw' },
  STAGE_TIMEOUT: { retryable: true, message: 'The stage ran past its timeoutMs' },
  CANCELLED: { retryable: false, message: 'The stage was cancelled' },
  AGENT_LOST: { retryable: false, message: 'The agent holding the stage died too many times' },
  INVALID_INPUT: { retryable: false, message: 'The stage input does not match the agent input schema' },
  INVALID_OUTPUT: { retryable: false, message: 'The agent returned output that does not match its output schema' },
  INPUT_RESOLUTION_FAILED: { retryable: false, message: 'A $from reference in the stage input could not be resolved' },
  PROTOCOL_MISMATCH: { retryable: false, message: 'The agent and orchestrator speak incompatible protocol versions' },
  OUTPUT_TOO_LARGE: { retryable: false, message: 'The stage output exceeds the size limit' },
  STAGE_INPUT_TOO_LARGE: { retryable: false, message: "The stage's resolved input (job envelope) exceeds the size limit" },
  APPROVAL_REJECTED: { retryable: false, message: 'An approver rejected the stage' },
  APPROVAL_TIMEOUT: { retryable: false, message: 'Nobody decided on the approval stage within its timeoutMs' },
  FOR_EACH_NOT_A_LIST: { retryable: false, message: 'The forEach $from of a fan-out stage did not resolve to a list' },
  FOR_EACH_TOO_MANY_ITEMS: { retryable: false, message: 'The fan-out list has more items than the stage allows (forEach.maxItems)' },
  CONCURRENCY_KEY_UNRESOLVED: { retryable: false, message: 'The concurrency key did not resolve to a usable value' },
  SIGNAL_TIMEOUT: { retryable: false, message: 'No signal reached the stage within its timeoutMs' },
  CONDITION_FAILED: { retryable: false, message: "The stage's when condition could not be evaluated (an error, or not a boolean)" },
  RUN_DEADLINE_EXCEEDED: { retryable: false, message: "The run did not finish before its deadline" },
  NON_RETRYABLE: { retryable: false, message: 'The agent reported a permanent failure' },
} as const satisfies Record<string, { retryable: boolean; message: string }>;

export type PlatformStageErrorCode = keyof typeof STAGE_ERRORS;

export const StageError = z.object({
  code: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/),
  message: z.string().max(4096),
  retryable: z.boolean(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type StageError = z.infer<typeof StageError>;
