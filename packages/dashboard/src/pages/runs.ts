import type { RunStatus, RunSummary } from '@baton/contracts';
import { baton } from '../api.js';
import { h, pill, replaceChildren } from '../dom.js';
import { duration, time } from '../format.js';
import { liveRefresh } from '../live.js';
import { navigate, type Page } from '../router.js';
import { errorState } from './errors.js';
import { mayDecide } from './approval-banner.js';
import { bulkControls, type BulkControls } from './runs-bulk.js';
import { extraFilterControls, narrows, readRunFilter } from './run-filters.js';

const STATUSES = ['', 'queued', 'running', 'waiting', 'paused', 'succeeded', 'failed', 'cancelled'];
const PAGE = 50;
/** Keep reconnecting while the page is open (the app shell shows when the orchestrator is away). */
const LIVE = { maxAttempts: Number.POSITIVE_INFINITY, maxDelayMs: 5000 };

function runRow(r: RunSummary, bulk: BulkControls): HTMLElement {
  const end = r.finishedAt ? Date.parse(r.finishedAt) : Date.now();
  const took = r.startedAt ? end - Date.parse(r.startedAt) : null;
  return h(
    'tr',
    { 'data-run': r.id },
    bulk.enabled ? bulk.rowBox(r.id) : null,
    h('td.mono', {}, h('a', { href: `/ui/runs/${r.id}` }, r.id)),
    h('td', {}, r.pipeline.name, r.pipeline.version !== null ? h('span.muted', {}, ` v${r.pipeline.version}`) : null),
    h('td', {}, pill(r.status)),
    h('td', {}, time(r.createdAt)),
    h('td', {}, duration(took)),
    h('td.muted', {}, Object.entries(r.labels).map(([k, v]) => h('span.label', {}, `${k}=${v}`))),
    h('td.muted', {}, r.error ? `${r.error.code}: ${r.error.message}` : ''),
  );
}

/** The run list: filters in the URL, live through GET /v1/runs/changes (a doorbell), newest first. */
export const runsPage: Page = (root, _params, query) => {
  const status = query.get('status') ?? '';
  const pipeline = query.get('pipeline') ?? '';
  /** "Waiting on me": waiting runs with an approval stage the caller may decide on. */
  const onMe = query.get('waiting') === 'me';
  let limit = PAGE;
  let cursor: string | null = null;

  const setFilter = (k: string, v: string | string[]) => {
    const q = new URLSearchParams(location.search);
    q.delete(k);
    for (const x of Array.isArray(v) ? v : [v]) if (x) q.append(k, x);
    if (k === 'pipeline') q.delete('pipelineVersion');
    navigate(`/ui/runs${q.size ? `?${q}` : ''}`, true);
  };
  /** Every filter in the URL, as the API takes it (status and pipeline included). */
  const urlFilter = readRunFilter(query);
  const statusSel = h('select', { 'aria-label': 'status', onchange: (e: Event) => setFilter('status', (e.target as HTMLSelectElement).value) }, STATUSES.map((s) => h('option', { value: s, selected: s === status }, s || 'any status')));
  const pipeSel = h('select', { 'aria-label': 'pipeline', onchange: (e: Event) => setFilter('pipeline', (e.target as HTMLSelectElement).value) }, h('option', { value: '' }, 'any pipeline'));
  const body = h('div', {}, h('div.state', {}, 'Loading runs…'));
  const more = h('button', { type: 'button', onclick: () => ((limit += PAGE), void load()) }, 'Load more');
  const onMeBox = h('label', {}, h('input', { type: 'checkbox', 'data-filter': 'waiting-on-me', checked: onMe, onchange: (e: Event) => setFilter('waiting', (e.target as HTMLInputElement).checked ? 'me' : '') }), ' waiting on me');
  // "All matching" acts on the list's filter (the server's, so not "waiting on me", which is worked out here).
  const filter = onMe || !narrows(urlFilter) ? null : urlFilter;
  const bulk = bulkControls(filter, () => void load());
  root.append(h('div.toolbar', {}, h('h1', {}, 'Runs'), statusSel, pipeSel, onMeBox, h('span.live', { title: 'updates live over server-sent events' }, 'live')), extraFilterControls(query, setFilter), bulk.el, body);

  baton.pipelines
    .list()
    .then((l) => {
      const names = new Set(l.items.map((p) => p.name));
      if (pipeline) names.add(pipeline);
      for (const n of [...names].sort()) pipeSel.append(h('option', { value: n, selected: n === pipeline }, n));
    })
    .catch(() => undefined);

  async function load(): Promise<void> {
    try {
      const list = await baton.runs.list({ limit: Math.min(limit, 200), ...urlFilter, ...(onMe ? { status: 'waiting' as RunStatus } : {}) });
      if (onMe) {
        // Few runs wait at a time; read each to see whose decision it waits for.
        const views = await Promise.all(list.items.map((r) => baton.runs.get(r.id)));
        list.items = list.items.filter((_, i) => views[i]!.stages.some((st) => mayDecide(views[i]!, st)));
      }
      cursor = list.nextCursor;
      if (list.items.length === 0) {
        replaceChildren(
          body,
          h(
            'div.state.empty',
            {},
            narrows(urlFilter) || onMe ? 'No runs match these filters.' : h('span', {}, 'No runs yet. Start one from a ', h('a', { href: '/ui/pipelines' }, 'pipeline'), ', with ', h('code', {}, 'npx baton run <pipeline>'), ' or ', h('code', {}, 'POST /v1/runs'), '.'),
          ),
        );
        return;
      }
      replaceChildren(
        body,
        h(
          'table.grid',
          {},
          h('thead', {}, h('tr', {}, bulk.enabled ? bulk.headBox(list.items.map((r) => r.id)) : null, ['Run', 'Pipeline', 'Status', 'Created', 'Duration', 'Labels', 'Error'].map((t) => h('th', {}, t)))),
          h('tbody', {}, list.items.map((r) => runRow(r, bulk))),
        ),
        cursor && limit < 200 ? more : null,
      );
    } catch (e: unknown) {
      replaceChildren(body, errorState(e, 'the runs'));
    }
  }
  return liveRefresh((signal) => baton.runs.changes({ signal, reconnect: LIVE }), load, { minGapMs: 1000 });
};
