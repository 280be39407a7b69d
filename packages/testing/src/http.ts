import type { RunView } from '@baton/contracts';
import type { FastifyInstance } from 'fastify';

export interface JsonResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: T;
}

/** JSON request through `app.inject()` (no socket). */
export async function inject<T = unknown>(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const res = await app.inject({
    method,
    url,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  let parsed: unknown = res.body;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    // not JSON (e.g. SSE)
  }
  return { status: res.statusCode, headers: res.headers, body: parsed as T };
}

/** A response over a real socket: every header is a string. */
export type HttpResponse<T = unknown> = Omit<JsonResponse<T>, 'headers'> & { headers: Record<string, string> };

/** JSON request over a real socket (new-style fetch). Throws on network errors and on timeout. */
export async function http<T = unknown>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  opts: { headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpResponse<T>> {
  const headers = opts.headers ?? {};
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: Object.fromEntries(res.headers.entries()), body: parsed as T };
}

export const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

export type RunGetter = (id: string) => Promise<RunView | null>;
