import { API_ERRORS, type ApiErrorBody, type ApiErrorCode, type ApiIssue } from '@baton/contracts';
import { EngineError } from '@baton/engine';
import { isRedisOom, isRedisUnavailable } from '@baton/platform';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

/** An error a route throws to answer with a catalogue code (see contracts/errors.ts). */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message?: string,
    readonly issues?: ApiIssue[],
    readonly headers?: Record<string, string>,
  ) {
    super(message ?? API_ERRORS[code].message);
  }
}

const FASTIFY_CODES: Record<string, ApiErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_REQUEST',
};

/** Seconds a caller refused by an engine cap (active runs per key) is told to wait. */
const ENGINE_RETRY_AFTER_S = 10;

function byStatus(status: number): ApiErrorCode {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 405) return 'METHOD_NOT_ALLOWED';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  if (status === 429) return 'RATE_LIMITED';
  return 'INVALID_REQUEST';
}

function toPath(context: string | undefined, instancePath: string): (string | number)[] {
  const parts = instancePath.split('/').filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return context ? [context, ...parts] : parts;
}

/** Maps any thrown error to the catalogue envelope. Bad input is always a 4xx; only our own faults are 5xx. */
export function describeError(err: unknown): { status: number; code: ApiErrorCode; message: string; issues?: ApiIssue[]; headers?: Record<string, string> } {
  if (err instanceof ApiError) {
    return { status: API_ERRORS[err.code].status, code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}), ...(err.headers ? { headers: err.headers } : {}) };
  }
  if (err instanceof EngineError) {
    const status = API_ERRORS[err.code].status;
    // The OpenAPI document promises Retry-After on every 429: a capped caller waits for runs to finish.
    const headers = status === 429 ? { headers: { 'retry-after': String(ENGINE_RETRY_AFTER_S) } } : {};
    return { status, code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}), ...headers };
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const context = (err as { validationContext?: string }).validationContext;
    const issues = err.validation.map((v) => ({ path: toPath(context, v.instancePath), message: v.message ?? 'invalid' }));
    return { status: 400, code: 'INVALID_REQUEST', message: `invalid ${context ?? 'request'}: ${issues[0]?.message ?? ''}`.trim(), issues };
  }
  if (isRedisOom(err)) {
    return { status: 503, code: 'REDIS_OUT_OF_MEMORY', message: API_ERRORS.REDIS_OUT_OF_MEMORY.message, headers: { 'retry-after': '30' } };
  }
  if (isRedisUnavailable(err)) {
    return { status: 503, code: 'REDIS_UNAVAILABLE', message: API_ERRORS.REDIS_UNAVAILABLE.message, headers: { 'retry-after': '5' } };
  }
  const fe = err as Partial<FastifyError>;
  if (fe.code && FASTIFY_CODES[fe.code]) {
    const code = FASTIFY_CODES[fe.code]!;
    return { status: API_ERRORS[code].status, code, message: fe.message ?? API_ERRORS[code].message };
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code = byStatus(fe.statusCode);
    return { status: fe.statusCode, code, message: fe.message ?? API_ERRORS[code].message };
  }
  return { status: 500, code: 'INTERNAL', message: API_ERRORS.INTERNAL.message };
}

/**
 * Strict mode (tests): an error code the route's documentation does not list answers 500 and says
 * so, so a route cannot drift from its `schema.errors` unnoticed.
 */
function undocumented(request: FastifyRequest, code: ApiErrorCode): string | null {
  const documented = request.routeOptions.config?.documentedErrors;
  if (!documented || documented.includes(code)) return null;
  return `${request.method} ${request.routeOptions.url ?? request.url} answered ${code}, which its OpenAPI documentation does not list: add it to the route's schema.errors`;
}

export function sendError(reply: FastifyReply, request: FastifyRequest, err: unknown, strictDocs = false): FastifyReply {
  let d = describeError(err);
  const drift = strictDocs ? undocumented(request, d.code) : null;
  if (drift) {
    request.log.error({ code: d.code }, drift);
    d = { status: 500, code: 'INTERNAL', message: drift };
  }
  if (d.status >= 500 && d.code === 'INTERNAL') request.log.error({ err }, 'request failed');
  else if (d.status >= 500) request.log.warn({ code: d.code, err: err instanceof Error ? err.message : String(err) }, 'request failed: dependency unavailable');
  const body: ApiErrorBody = { error: { code: d.code, message: d.message, ...(d.issues ? { issues: d.issues } : {}) }, requestId: request.id };
  if (d.headers) void reply.headers(d.headers);
  return reply.code(d.status).type('application/json').send(body);
}

export function registerErrorHandling(app: FastifyInstance, opts: { strictDocs?: boolean } = {}): void {
  app.setErrorHandler((err, request, reply) => sendError(reply, request, err, opts.strictDocs));
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, request, new ApiError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}
