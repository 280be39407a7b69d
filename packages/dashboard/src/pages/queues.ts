import { baton, can, session } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import type { Page } from '../router.js';
import { act, errorState } from './errors.js';

const REFRESH_MS = 3000;
const WINDOW_MS = 60_000;

type Sample = { at: number; finished: Map<string, number> };

/** Finished stages per minute per type, from the cumulative counters sampled by this page. */
function rates(samples: Sample[]): Map<string, number> | null {
  const last = samples.at(-1);
  const first = samples.find((s) => last && last.at - s.at <= WINDOW_MS);
  if (!last || !first || last === first || last.at - first.at < 1000) return null;
  const perMin = 60_000 / (last.at - first.at);
  return new Map([...last.finished].map(([type, n]) => [type, Math.max(0, n - (first.finished.get(type) ?? 0)) * perMin]));
}

/** Queue depths and throughput per agent type, pause/resume for operators, and a link to bull-board. */
export const queuesPage: Page = (root) => {
  const samples: Sample[] = [];
  const body = h('div', {}, h('div.state', {}, 'Loading queues…'));
  const board = session.me?.role === 'admin' ? '/ui/bull-admin/' : '/ui/bull/';
  root.append(
    h('div.toolbar', {}, h('h1', {}, 'Queues'), h('a.button', { href: board, target: '_blank', rel: 'noopener', 'data-link': 'bull-board' }, session.me?.role === 'admin' ? 'Open bull-board (admin)' : 'Open bull-board (read-only)'), h('span.muted', {}, `refreshes every ${REFRESH_MS / 1000} s`)),
    body,
  );
  async function load(): Promise<void> {
    try {
      const [q, t] = await Promise.all([baton.queues.list(), baton.queues.throughput()]);
      samples.push({ at: Date.parse(t.at), finished: new Map(t.items.map((i) => [i.type, Object.values(i.finished).reduce((a, b) => a + b, 0)])) });
      while (samples.length > 2 && samples.at(-1)!.at - samples[1]!.at > WINDOW_MS) samples.shift();
      const r = rates(samples);
      const totals = new Map(t.items.map((i) => [i.type, i]));
      if (q.items.length === 0) {
        replaceChildren(body, h('div.state.empty', {}, 'No agent types are known yet.'));
        return;
      }
      replaceChildren(
        body,
        h(
          'table.grid',
          {},
          h('thead', {}, h('tr', {}, ['Agent type', 'State', 'Waiting', 'Active', 'Delayed', 'Failed', 'Agents alive', 'Throughput', 'Finished (total)', ''].map((x) => h('th', {}, x)))),
          h(
            'tbody',
            {},
            q.items.map((row) => {
              const status = h('span.action-status');
              const verb = row.paused ? 'resume' : 'pause';
              const btn: HTMLButtonElement | null = can(`POST /v1/queues/:type/${verb}`)
                ? h('button.small', { type: 'button', 'data-action': `${verb}-queue`, onclick: () => void act(btn!, status, async () => (await (row.paused ? baton.queues.resume(row.type) : baton.queues.pause(row.type)), void load())) }, row.paused ? 'Resume' : 'Pause')
                : null;
              const tot = totals.get(row.type);
              const rate = r?.get(row.type);
              return h(
                'tr',
                { 'data-queue': row.type },
                h('td', {}, row.type),
                h('td', {}, h('span', { class: `pill ${row.paused ? 'st-paused' : 'st-running'}` }, row.paused ? 'paused' : 'consuming')),
                h(
                  'td',
                  { class: row.waiting > 0 && row.agentsAlive === 0 ? 'warn' : '', title: 'waiting jobs (of every run priority)' },
                  row.waiting,
                  // Run priorities other than the default (5), highest first: a hot-fix run is visible here.
                  Object.entries(row.byPriority ?? {})
                    .filter(([p]) => p !== '5')
                    .sort(([a], [b]) => Number(b) - Number(a))
                    .map(([p, n]) => h('span.label', { 'data-priority': p, title: `${n} waiting at priority ${p}` }, `p${p}: ${n}`)),
                ),
                h('td', {}, row.active),
                h('td', {}, row.delayed),
                h('td', {}, row.failed),
                h('td', {}, row.agentsAlive),
                h('td', { title: 'stages finished per minute, over the last minute this page watched' }, rate === undefined ? h('span.muted', {}, 'measuring…') : `${rate.toFixed(1)}/min`),
                h('td.muted', {}, tot ? Object.entries(tot.finished).map(([k, v]) => `${k} ${v}`).join(' · ') || '0' : '—', tot?.retries ? ` · retries ${tot.retries}` : ''),
                h('td', {}, btn, status),
              );
            }),
          ),
        ),
      );
    } catch (e: unknown) {
      replaceChildren(body, errorState(e, 'the queues'));
    }
  }
  void load();
  const timer = window.setInterval(() => void load(), REFRESH_MS);
  return () => clearInterval(timer);
};
