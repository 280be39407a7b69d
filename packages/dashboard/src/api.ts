import { BatonApiError, BatonClient } from '@baton/client';
import type { Whoami } from '@baton/contracts';

export { BatonApiError };

type Listener = (f: BatonApiError) => void;
const failureListeners = new Set<Listener>();

/** Called on every 401 (the session ended) and every unreachable orchestrator, for the app shell. */
export function onApiFailure(fn: Listener): void {
  failureListeners.add(fn);
}

/**
 * The API, through @baton/client (loaded by the browser from /ui/js/client/ via the page's import
 * map). Every call goes to this origin with the session cookie (credentials: same-origin); the
 * API key itself is never stored by the page: it is sent once, to POST /v1/session (login.ts).
 */
export const baton = new BatonClient({
  credentials: 'same-origin',
  // A page should show a failure soon, not after a long series of retries.
  retry: { attempts: 3, maxDelayMs: 2000 },
  onError: (f) => {
    if (f.status === 401 || f.status === 0 || f.status >= 502) for (const l of failureListeners) l(f);
  },
});

/** The signed-in caller; set by main.ts before any page renders. */
export const session: { me: Whoami | null } = { me: null };

/** Whether the caller's role may call a route of the permission table, e.g. `POST /v1/runs/:id/pause`. */
export function can(route: string): boolean {
  return session.me?.allowed.includes(route) ?? false;
}
