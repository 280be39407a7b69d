import type { ScheduleView, TriggerDetail } from '@baton/contracts';
import { baton, can } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { ago, time } from '../format.js';
import type { Page } from '../router.js';
import { act, errorState } from './errors.js';

const REFRESH_MS = 3000;
const runLink = (id: string | null) => (id ? h('a', { href: `/ui/runs/${id}` }, id) : h('span.muted', {}, '—'));

function schedulesTable(items: ScheduleView[], reload: () => void): HTMLElement {
  if (items.length === 0) return h('div.state.empty', {}, 'No schedules. Create one with PUT /v1/schedules/:name or `baton schedules put`.');
  return h(
    'table.grid',
    {},
    h('thead', {}, h('tr', {}, ['Schedule', 'Cron', 'Pipeline', 'State', 'Last tick', 'Outcome', 'Last run', 'Next', ''].map((x) => h('th', {}, x)))),
    h(
      'tbody',
      {},
      items.map((s) => {
        const status = h('span.action-status');
        const verb = s.paused ? 'resume' : 'pause';
        const btn: HTMLButtonElement | null = can(`POST /v1/schedules/:name/${verb}`)
          ? h('button.small', { type: 'button', 'data-action': `${verb}-schedule`, onclick: () => void act(btn!, status, async () => (await baton.schedules[verb](s.name), reload())) }, s.paused ? 'Resume' : 'Pause')
          : null;
        return h(
          'tr',
          { 'data-schedule': s.name },
          h('td', {}, s.name),
          h('td', {}, h('code', {}, s.cron), h('span.muted', {}, ` ${s.timezone}`)),
          h('td', {}, h('a', { href: `/ui/pipelines/${s.pipeline}` }, s.pipeline)),
          h('td', {}, h('span', { class: `pill ${s.paused ? 'st-paused' : 'st-running'}` }, s.paused ? 'paused' : 'active')),
          h('td', { title: time(s.lastTick) }, s.lastTick ? ago(s.lastTick) : '—'),
          h('td', {}, s.lastOutcome ?? '—'),
          h('td', {}, runLink(s.lastRunId)),
          h('td', { 'data-next': '' }, s.next[0] ? time(s.next[0]) : '—'),
          h('td', {}, btn, status),
        );
      }),
    ),
  );
}

function triggersView(items: TriggerDetail[]): HTMLElement {
  if (items.length === 0) return h('div.state.empty', {}, 'No webhook triggers. Create one with PUT /v1/triggers/:name or `baton triggers put`.');
  return h(
    'div',
    {},
    items.map((t) =>
      h(
        'section',
        { 'data-trigger': t.name },
        h('h3', {}, `${t.name} `, h('span.muted', {}, `${t.source} → ${t.pipeline} · POST ${t.hookPath}`)),
        t.deliveries.length === 0
          ? h('div.state.empty', {}, 'No deliveries yet.')
          : h(
              'table.grid',
              {},
              h('thead', {}, h('tr', {}, ['Delivery', 'Event', 'When', 'Outcome', 'Run', 'Reason'].map((x) => h('th', {}, x)))),
              h(
                'tbody',
                {},
                t.deliveries.slice(0, 10).map((d) =>
                  h('tr', { 'data-delivery': d.deliveryId }, h('td', {}, h('code', {}, d.deliveryId)), h('td', {}, d.event), h('td', { title: time(d.at) }, ago(d.at)), h('td', {}, d.outcome), h('td', {}, runLink(d.runId)), h('td.muted', {}, d.reason ?? '')),
                ),
              ),
            ),
      ),
    ),
  );
}

/** Schedules (last and next run, pause/resume) and webhook triggers with their recent deliveries. */
export const automationPage: Page = (root) => {
  const schedules = h('div', {}, h('div.state', {}, 'Loading schedules…'));
  const triggers = h('div', {}, h('div.state', {}, 'Loading triggers…'));
  root.append(h('div.toolbar', {}, h('h1', {}, 'Automation'), h('span.muted', {}, `refreshes every ${REFRESH_MS / 1000} s`)), h('h2', {}, 'Schedules'), schedules, h('h2', {}, 'Webhook triggers'), triggers);
  async function load(): Promise<void> {
    try {
      replaceChildren(schedules, schedulesTable((await baton.schedules.list()).items, () => void load()));
    } catch (e: unknown) {
      replaceChildren(schedules, errorState(e, 'the schedules'));
    }
    try {
      const list = await baton.triggers.list();
      replaceChildren(triggers, triggersView(await Promise.all(list.items.map((t) => baton.triggers.get(t.name)))));
    } catch (e: unknown) {
      replaceChildren(triggers, errorState(e, 'the triggers'));
    }
  }
  void load();
  const timer = window.setInterval(() => void load(), REFRESH_MS);
  return () => clearInterval(timer);
};
