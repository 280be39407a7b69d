import { API_ERRORS, type ApiErrorCode } from '@baton/contracts';
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { z } from 'zod';
import { requirementFor } from '../auth/permissions.js';
import { RATE_LIMIT_EXEMPT } from '../auth/rate-limit.js';
import { routeErrorCodes } from './error-responses.js';
import { TAGS } from './tags.js';

declare module 'fastify' {
  interface FastifySchema {
    /**
     * The catalogue codes this route throws itself (e.g. `['RUN_NOT_FOUND', 'INVALID_STATE']`);
     * `[]` when it throws none. The codes every route of its kind can answer with (400, 401, 403,
     * 413, 415, 429, 500, 503) are added from its shape and the permission table.
     */
    errors?: readonly ApiErrorCode[];
    /**
     * SSE routes: the zod schema of each event's `data` (OpenAPI 3.1 has no item schema for
     * text/event-stream), shown inline as JSON Schema in the operation's `x-baton-event-data`.
     */
    'x-baton-event-data'?: z.ZodType;
  }
  interface FastifyContextConfig {
    /** Every error code the route is documented to answer with (set at registration). */
    documentedErrors?: readonly ApiErrorCode[];
  }
  interface FastifyInstance {
    /** What the route check found wrong with the documentation of registered routes (a test asserts none). */
    routeDocs: { problems: string[] };
  }
}

const OPERATION_ID = /^[a-z][a-zA-Z0-9]{2,63}$/;
/** Routes that touch no Redis at all (no 503). */
const NO_REDIS = new Set(['/health']);

function methods(route: RouteOptions): string[] {
  return (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
}

/**
 * The rules every documented route follows (README "API", OpenAPI rules for new routes). A route
 * is documented unless its schema says `hide: true`.
 */
export function routeProblems(route: RouteOptions, method: string, seen: Map<string, string>): string[] {
  const where = `${method} ${route.url}`;
  const s = route.schema;
  if (!s) return [`${where}: no schema (document it, or set schema.hide for an internal route)`];
  if (s.hide) return [];
  const problems: string[] = [];
  if (!s.operationId) problems.push(`${where}: schema.operationId is missing (a stable camelCase name, e.g. "getRun")`);
  else if (!OPERATION_ID.test(s.operationId)) problems.push(`${where}: operationId "${s.operationId}" is not camelCase letters and digits`);
  else if (seen.has(s.operationId) && seen.get(s.operationId) !== where) problems.push(`${where}: operationId "${s.operationId}" is already used by ${seen.get(s.operationId)}`);
  else seen.set(s.operationId, where);
  if (!s.summary) problems.push(`${where}: schema.summary is missing`);
  if (!s.tags || s.tags.length === 0) problems.push(`${where}: schema.tags is missing`);
  for (const t of s.tags ?? []) if (!(t in TAGS)) problems.push(`${where}: tag "${t}" is not in openapi/tags.ts`);
  if (!s.errors) problems.push(`${where}: schema.errors is missing (the catalogue codes the route throws; [] when none)`);
  for (const c of s.errors ?? []) if (!(c in API_ERRORS)) problems.push(`${where}: error code "${c}" is not in contracts/errors.ts`);
  const responses = Object.keys((s.response as Record<string, unknown> | undefined) ?? {});
  if (!responses.some((k) => /^2\d\d$/.test(k))) problems.push(`${where}: schema.response declares no 2xx response`);
  return problems;
}

/** The error codes a route is documented to answer with (its own plus those of its kind). */
export function documentedErrors(route: RouteOptions, method: string): ApiErrorCode[] {
  const s = route.schema ?? {};
  return routeErrorCodes({
    method,
    needs: requirementFor(method, route.url),
    validates: Boolean(s.params || s.querystring || s.body || s.headers),
    rateLimited: !RATE_LIMIT_EXEMPT.has(route.url),
    usesRedis: !NO_REDIS.has(route.url),
    // Unknown codes are reported by routeProblems; they cannot be documented.
    declared: (s.errors ?? []).filter((c) => c in API_ERRORS),
  });
}

/**
 * Checks each route as it is registered and records its documented error codes in its config
 * (read by the OpenAPI transform and, in strict mode, by the error handler). Register it before
 * any route.
 */
export function registerRouteRules(app: FastifyInstance): void {
  const seen = new Map<string, string>();
  app.decorate('routeDocs', { problems: [] as string[] });
  app.addHook('onRoute', (route) => {
    for (const method of methods(route)) {
      app.routeDocs.problems.push(...routeProblems(route, method, seen));
      if (route.schema && !route.schema.hide) route.config = { ...route.config, documentedErrors: documentedErrors(route, method) };
    }
  });
}
