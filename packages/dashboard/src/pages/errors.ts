import { BatonApiError, session } from '../api.js';
import { h } from '../dom.js';

/** The error state of a page or panel: unreachable, not allowed, not found, or anything else. */
export function errorState(e: unknown, what: string): HTMLElement {
  if (e instanceof BatonApiError) {
    if (e.status === 0) return h('div.state.error', {}, h('strong', {}, 'The orchestrator is not reachable.'), ` Could not load ${what}; retrying when it is back.`);
    if (e.status === 403) return h('div.state.error', {}, h('strong', {}, 'Not allowed.'), ` Your key (role ${session.me?.role ?? '?'}) may not read ${what}: ${e.message}`);
    if (e.status === 404) return h('div.state.error', {}, h('strong', {}, 'Not found.'), ` ${e.message}`);
    if (e.status === 503) return h('div.state.error', {}, h('strong', {}, 'The state store is unavailable.'), ` ${e.message}`);
    return h('div.state.error', {}, h('strong', {}, `Could not load ${what}:`), ` ${e.code}: ${e.message}`);
  }
  return h('div.state.error', {}, `Could not load ${what}: ${e instanceof Error ? e.message : String(e)}`);
}

/** Runs an action (a button), showing its failure next to it instead of throwing. */
export async function act(button: HTMLButtonElement, status: HTMLElement, fn: () => Promise<unknown>): Promise<void> {
  button.disabled = true;
  status.textContent = '';
  status.className = 'action-status';
  try {
    await fn();
    status.textContent = 'done';
  } catch (e: unknown) {
    status.className = 'action-status error';
    status.textContent = e instanceof BatonApiError ? `${e.code}: ${e.message}` : String(e);
  } finally {
    button.disabled = false;
  }
}
