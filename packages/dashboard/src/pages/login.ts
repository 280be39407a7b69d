import type { SessionCreated } from '@baton/contracts';
import { baton, BatonApiError } from '../api.js';
import { h } from '../dom.js';

/**
 * Sign in: the key is sent once, in the Authorization header, to POST /v1/session, which answers
 * with an HttpOnly SameSite=Strict cookie. The page keeps no copy of the key (not in storage, not in a URL).
 */
export function loginView(reason: string | null, signedIn: (me: SessionCreated) => void): HTMLElement {
  const key = h('input', { type: 'password', name: 'api-key', autocomplete: 'off', placeholder: 'bk_…', 'aria-label': 'API key', required: true });
  const status = h('p.action-status', {}, reason ?? '');
  if (reason) status.className = 'action-status error';
  const form = h(
    'form.login',
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        const value = key.value.trim();
        key.value = '';
        status.className = 'action-status';
        status.textContent = 'signing in…';
        baton.session
          .open(value)
          .then(signedIn)
          .catch((err: unknown) => {
            status.className = 'action-status error';
            status.textContent = err instanceof BatonApiError ? (err.status === 0 ? 'The orchestrator is not reachable.' : err.message) : String(err);
          });
      },
    },
    h('h1', {}, 'Sign in to Baton'),
    h('p.muted', {}, 'Paste an API key (any role). It is exchanged for a session cookie that ends when you close the browser or sign out; the key is not stored.'),
    key,
    h('button', { type: 'submit' }, 'Sign in'),
    status,
  );
  return form;
}
