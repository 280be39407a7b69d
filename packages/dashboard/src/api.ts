import type { ApiErrorBody, Whoami } from '@baton/contracts';

/** A failed API call: HTTP status (0 when the orchestrator could not be reached) and the catalogue code. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Listener = (f: ApiFailure) => void;
const failureListeners = new Set<Listener>();

/** Called on every 401 (the session ended) and every unreachable orchestrator, for the app shell. */
export function onApiFailure(fn: Listener): void {
  failureListeners.add(fn);
}

/**
 * Every call goes to this origin with the session cookie (credentials: same-origin). The API key
 * itself is never stored by the page: it is sent once, to POST /v1/session (see login.ts).
 */
export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (e: unknown) {
    const f = new ApiFailure(0, 'UNREACHABLE', `cannot reach the orchestrator (${e instanceof Error ? e.message : String(e)})`);
    for (const l of failureListeners) l(f);
    throw f;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const err = (json as ApiErrorBody | null)?.error;
    const f = new ApiFailure(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? (text.slice(0, 200) || res.statusText));
    if (res.status === 401 || res.status >= 502) for (const l of failureListeners) l(f);
    throw f;
  }
  return json as T;
}

/** The signed-in caller; set by main.ts before any page renders. */
export const session: { me: Whoami | null } = { me: null };

/** Whether the caller's role may call a route of the permission table, e.g. `POST /v1/runs/:id/pause`. */
export function can(route: string): boolean {
  return session.me?.allowed.includes(route) ?? false;
}
