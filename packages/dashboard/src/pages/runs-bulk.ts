import type { BulkRunRequestInput, BulkRunResponse, RunFilter } from '@baton/contracts';
import { baton, can } from '../api.js';
import { h, replaceChildren } from '../dom.js';

/** BULK_MAX_PER_CALL of @baton/contracts (the browser loads only @baton/client): the most runs one call acts on. */
const LIMIT = 1000;
type Action = 'cancel' | 'retry';
const VERB: Record<Action, string> = { cancel: 'Cancel', retry: 'Retry' };

export interface BulkControls {
  /** The toolbar: what is selected, "all matching", the actions, the confirm and the results. */
  el: HTMLElement;
  /** Whether the caller may run any bulk action (no checkboxes otherwise). */
  enabled: boolean;
  /** The checkbox of one row (kept checked across redraws of the list). */
  rowBox(runId: string): HTMLElement;
  /** The header checkbox: selects or clears the rows shown. */
  headBox(shownIds: string[]): HTMLElement;
}

/**
 * Bulk cancel / retry on the run list (POST /v1/runs/bulk/{cancel,retry}): either the runs selected
 * with the checkboxes (`runIds`) or every run the list's filter matches (`filter`). A dry run first
 * gives the count and the first ids for a confirm; then the call, with an Idempotency-Key (so a
 * repeated click acts on no run twice), and its result per run: done, or skipped with the reason.
 * Shown only to a key whose role may call the route.
 */
export function bulkControls(filter: RunFilter | null, changed: () => void): BulkControls {
  const allowed: Record<Action, boolean> = { cancel: can('POST /v1/runs/bulk/cancel'), retry: can('POST /v1/runs/bulk/retry') };
  const selected = new Set<string>();
  const boxes = new Map<string, HTMLInputElement>();
  let allMatching = false;
  const enabled = allowed.cancel || allowed.retry;

  const count = h('span.muted', { 'data-bulk-count': '' });
  const allBox = h('input', {
    type: 'checkbox',
    'data-bulk': 'all-matching',
    disabled: filter === null,
    onchange: (e: Event) => ((allMatching = (e.target as HTMLInputElement).checked), sync()),
  });
  const allLabel = h('label', { title: filter === null ? 'choose a status or pipeline filter first: an empty filter is refused' : 'every run the filter matches, not only those shown' }, allBox, ' all matching the filter');
  const buttons = (['cancel', 'retry'] as const).filter((a) => allowed[a]).map((a) => h('button', { type: 'button', 'data-bulk-action': a, onclick: () => void prepare(a) }, `${VERB[a]}…`));
  const panel = h('div', { 'data-bulk-panel': '' });
  const el = h('div', {}, enabled ? h('div.bulk', { 'data-bulk': '' }, count, allLabel, buttons) : null, panel);

  function target(): Pick<BulkRunRequestInput, 'filter' | 'runIds'> | null {
    if (allMatching && filter) return { filter };
    return selected.size > 0 ? { runIds: [...selected] } : null;
  }

  function sync(): void {
    count.textContent = allMatching ? 'all runs matching the filter' : `${selected.size} selected`;
    for (const b of buttons) b.disabled = target() === null;
    for (const box of boxes.values()) box.disabled = allMatching;
  }

  const failure = (e: unknown) => h('div.state.error', { 'data-bulk-error': '' }, e instanceof Error ? e.message : String(e));

  async function prepare(action: Action): Promise<void> {
    const t = target();
    if (!t) return;
    replaceChildren(panel, h('div.bulk-confirm', {}, h('span.muted', {}, 'Counting…')));
    let dry: BulkRunResponse;
    try {
      dry = await baton.runs[action === 'cancel' ? 'bulkCancel' : 'bulkRetry']({ ...t, dryRun: true, limit: LIMIT });
    } catch (e: unknown) {
      replaceChildren(panel, failure(e));
      return;
    }
    const n = Math.min(dry.matched, LIMIT);
    const go = h('button.primary', { type: 'button', 'data-bulk-confirm': action, disabled: dry.matched === 0, onclick: () => void perform(action, t, go) }, `${VERB[action]} ${n} run${n === 1 ? '' : 's'}`);
    replaceChildren(
      panel,
      h(
        'div.bulk-confirm',
        { 'data-bulk-matched': dry.matched },
        h('p', {}, h('strong', {}, `${VERB[action]} ${dry.matched}${dry.matchedCapped ? '+' : ''} run${dry.matched === 1 ? '' : 's'}?`), dry.more ? ` Only the first ${LIMIT} (newest first) in this call: repeat it for the rest.` : ''),
        dry.ids.length ? h('p.muted', {}, 'First: ', h('span.mono', { 'data-bulk-ids': '' }, dry.ids.join(', ')), dry.matched > dry.ids.length ? ' …' : '') : null,
        go,
        ' ',
        h('button', { type: 'button', 'data-bulk-dismiss': '', onclick: () => panel.replaceChildren() }, 'Keep them'),
      ),
    );
  }

  async function perform(action: Action, t: Pick<BulkRunRequestInput, 'filter' | 'runIds'>, go: HTMLButtonElement): Promise<void> {
    go.disabled = true;
    try {
      const r = await baton.runs[action === 'cancel' ? 'bulkCancel' : 'bulkRetry']({ ...t, limit: LIMIT }, { idempotencyKey: crypto.randomUUID() });
      replaceChildren(
        panel,
        h(
          'div.bulk-results',
          { 'data-bulk-done': r.done, 'data-bulk-skipped': r.skipped },
          h('p', {}, h('strong', {}, `${VERB[action]}: ${r.done} done, ${r.skipped} skipped`), r.more ? ' More runs match: repeat the action for the rest.' : '', ' ', h('button.small', { type: 'button', onclick: () => panel.replaceChildren() }, 'Close')),
          h(
            'ol',
            {},
            r.results.map((x) =>
              h(`li.${x.outcome}`, { 'data-bulk-result': x.runId, 'data-outcome': x.outcome }, h('a.mono', { href: `/ui/runs/${x.runId}` }, x.runId), ` ${x.outcome}`, x.reason ? `: ${x.reason}` : '', x.message ? h('span.muted', {}, ` (${x.message})`) : null),
            ),
          ),
        ),
      );
      selected.clear();
      allMatching = false;
      allBox.checked = false;
      for (const b of boxes.values()) b.checked = false;
      sync();
      changed();
    } catch (e: unknown) {
      go.disabled = false;
      panel.append(failure(e));
    }
  }

  sync();
  return {
    el,
    enabled,
    rowBox(runId) {
      const box = h('input', {
        type: 'checkbox',
        'data-select': runId,
        'aria-label': `select ${runId}`,
        checked: selected.has(runId),
        disabled: allMatching,
        onchange: (e: Event) => ((e.target as HTMLInputElement).checked ? selected.add(runId) : selected.delete(runId), sync()),
      });
      boxes.set(runId, box);
      return h('td', {}, box);
    },
    headBox(shownIds) {
      for (const id of [...boxes.keys()]) if (!shownIds.includes(id)) boxes.delete(id);
      const box = h('input', {
        type: 'checkbox',
        'data-select': 'shown',
        'aria-label': 'select the runs shown',
        checked: shownIds.length > 0 && shownIds.every((id) => selected.has(id)),
        onchange: (e: Event) => {
          const on = (e.target as HTMLInputElement).checked;
          for (const id of shownIds) {
            if (on) selected.add(id);
            else selected.delete(id);
            const b = boxes.get(id);
            if (b) b.checked = on;
          }
          sync();
        },
      });
      return h('th', {}, box);
    },
  };
}
