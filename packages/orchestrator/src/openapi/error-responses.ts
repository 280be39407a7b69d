import { API_ERRORS, type ApiErrorCode } from '@baton/contracts';
import { z } from 'zod';
import { ApiErrorDoc } from './components.js';
import type { Requirement } from '../auth/permissions.js';

/** What decides which errors a route can answer with besides its own (`schema.errors`). */
export interface RouteShape {
  method: string;
  needs: Requirement;
  /** The route validates params, query, headers or a body (a 400 with the path of each problem). */
  validates: boolean;
  rateLimited: boolean;
  /** Reads or writes Redis (every route but /health): 503 while it is unreachable. */
  usesRedis: boolean;
  /** The codes the route itself throws (its `schema.errors`). */
  declared: readonly ApiErrorCode[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Every error code a route can answer with: its own, plus those its kind of route always can —
 * 400 when it validates input or takes a body, 413/415 with a body, 401 (and 403 above viewer,
 * or for a session's cross-origin write) when it needs a key, 429 when rate-limited, 503 when it
 * needs Redis, 500 always. Sorted by status, then code.
 */
export function routeErrorCodes(r: RouteShape): ApiErrorCode[] {
  const codes = new Set<ApiErrorCode>(r.declared);
  const writes = !SAFE_METHODS.has(r.method);
  if (r.validates || writes) codes.add('INVALID_REQUEST');
  if (writes) {
    codes.add('PAYLOAD_TOO_LARGE');
    codes.add('UNSUPPORTED_MEDIA_TYPE');
  }
  if (r.needs !== 'public') {
    codes.add('UNAUTHORIZED');
    if (r.needs !== 'viewer' || writes) codes.add('FORBIDDEN');
  }
  if (r.rateLimited) codes.add('RATE_LIMITED');
  if (r.usesRedis) {
    codes.add('REDIS_UNAVAILABLE');
    if (writes) codes.add('REDIS_OUT_OF_MEMORY');
  }
  codes.add('INTERNAL');
  return [...codes].sort((a, b) => API_ERRORS[a].status - API_ERRORS[b].status || a.localeCompare(b));
}

/** Response headers as JSON schemas with a description (@fastify/swagger makes them header objects). */
const HEADERS: Record<number, Record<string, { description: string; type: 'integer' | 'string'; minimum?: number }>> = {
  401: { 'www-authenticate': { description: 'The scheme to authenticate with (`Bearer`)', type: 'string' } },
  429: { 'retry-after': { description: 'Seconds until the rate-limit window lets this key in again', type: 'integer', minimum: 1 } },
  503: { 'retry-after': { description: 'Seconds to wait before retrying (the state store is unreachable or full)', type: 'integer', minimum: 1 } },
};

/** An OpenAPI response object (plain JSON, as @fastify/swagger takes it after the zod transform). */
export interface ErrorResponseObject {
  description: string;
  headers?: Record<string, object>;
  content: { 'application/json': { schema: object; examples: Record<string, { summary: string; value: unknown }> } };
}

/**
 * The shared error body (`ApiError`) with `code` narrowed to `codes`, as JSON Schema. Inlined per
 * response rather than an `allOf` over a `$ref`: example checkers treat each `allOf` branch as
 * closed, and generators give the narrowed union directly.
 */
function errorBodySchema(codes: readonly ApiErrorCode[]): object {
  const narrowed = ApiErrorDoc.extend({ error: ApiErrorDoc.shape.error.extend({ code: z.enum(codes as [ApiErrorCode, ...ApiErrorCode[]]) }) });
  const { $schema: _dialect, ...schema } = z.toJSONSchema(narrowed, { target: 'draft-2020-12', io: 'output' });
  return { title: 'ApiError', ...schema };
}

/**
 * The `responses` entries for a list of codes: one per HTTP status, each the shared `ApiError`
 * schema narrowed to the codes that status carries on this route, with an example per code.
 * Statuses the route documents itself (e.g. /ready's own 503 body) are left to it.
 */
export function errorResponses(codes: readonly ApiErrorCode[], taken: ReadonlySet<string> = new Set()): Record<string, ErrorResponseObject> {
  const byStatus = new Map<number, ApiErrorCode[]>();
  for (const code of codes) {
    const status = API_ERRORS[code].status;
    if (taken.has(String(status))) continue;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<string, ErrorResponseObject> = {};
  for (const [status, list] of byStatus) {
    out[String(status)] = {
      description: list.map((c) => `\`${c}\`: ${API_ERRORS[c].message}`).join('; '),
      ...(HEADERS[status] ? { headers: HEADERS[status] } : {}),
      content: {
        'application/json': {
          schema: errorBodySchema(list),
          examples: Object.fromEntries(
            list.map((c) => [c, { summary: API_ERRORS[c].message, value: { error: { code: c, message: API_ERRORS[c].message }, requestId: '0b5c3b4e-8a4e-4d8e-9a57-2f7f1c1d2e3f' } }]),
          ),
        },
      },
    };
  }
  return out;
}
