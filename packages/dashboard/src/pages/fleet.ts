import type { AgentView } from '@baton/contracts';
import { baton, can } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { duration, time } from '../format.js';
import type { Page } from '../router.js';
import { act, errorState } from './errors.js';

const REFRESH_MS = 2000;
const LIVENESS = ['alive', 'draining', 'deaf', 'wedged', 'stale', 'dead'] as const;

/** Job ids are `<runId>.<stage>.<dispatch>[.<item>]` (contracts/keys.ts; only types are imported in the browser). */
function parseJobId(jobId: string): { runId: string; stage: string } | null {
  const m = /^(run_[0-9A-Z]{26})\.([a-z][a-z0-9_-]*)\.\d+(\.(\d+))?$/.exec(jobId);
  return m ? { runId: m[1]!, stage: m[4] === undefined ? m[2]! : `${m[2]!}[${m[4]}]` } : null;
}

function task(jobId: string): HTMLElement {
  const j = parseJobId(jobId);
  return j ? h('a.mono', { href: `/ui/runs/${j.runId}` }, `${j.runId.slice(-8)}/${j.stage}`) : h('span.mono', {}, jobId);
}

function agentRow(a: AgentView, refresh: () => void): HTMLElement {
  const status = h('span.action-status');
  const actions: HTMLElement[] = [];
  const live = a.liveness !== 'dead';
  if (live && can('POST /v1/agents/:id/drain')) {
    const b: HTMLButtonElement = h('button.small', { type: 'button', 'data-action': 'drain-agent', title: 'stop taking tasks, finish the current ones, exit 0', onclick: () => void act(b, status, async () => (await baton.agents.drain(a.id), refresh())) }, 'Drain');
    actions.push(b);
  }
  if (live && can('POST /v1/agents/:id/restart')) {
    const b: HTMLButtonElement = h('button.small', { type: 'button', 'data-action': 'restart-agent', title: 'hand current tasks back to the queue and exit at once (code 75)', onclick: () => void act(b, status, async () => (await baton.agents.restart(a.id), refresh())) }, 'Restart');
    actions.push(b);
  }
  return h(
    'tr',
    { 'data-agent': a.id, 'data-liveness': a.liveness },
    h('td.mono', {}, a.id),
    h('td', {}, h('span', { class: `pill lv-${a.liveness}` }, a.liveness), a.compatible ? null : h('span.warn', { title: a.incompatibleReason ?? '' }, ' incompatible')),
    h('td', {}, duration(a.lastSeenAgoMs), h('span.muted', {}, ` (beats every ${duration(a.intervalMs)})`)),
    h('td', {}, `${a.active.length}/${a.concurrency}`),
    h('td', {}, a.active.length ? a.active.map(task) : h('span.muted', {}, 'idle')),
    h('td.muted', {}, `${a.host} pid ${a.pid} · v${a.version} · up since ${time(a.startedAt)}`),
    h('td', {}, actions, status),
  );
}

/** Agents by type with liveness, heartbeat age, capacity and current tasks; drain/restart for operators. */
export const fleetPage: Page = (root) => {
  const body = h('div', {}, h('div.state', {}, 'Loading agents…'));
  root.append(h('div.toolbar', {}, h('h1', {}, 'Fleet'), h('span.muted', {}, `refreshes every ${REFRESH_MS / 1000} s`)), body);
  async function load(): Promise<void> {
    try {
      const { items } = await baton.agents.list();
      if (items.length === 0) {
        replaceChildren(body, h('div.state.empty', {}, 'No agents have registered. Start one, e.g. ', h('code', {}, 'node packages/agents/noop/dist/main.js'), '.'));
        return;
      }
      const types = [...new Set(items.map((a) => a.type))].sort();
      replaceChildren(
        body,
        types.map((type) => {
          const agents = items.filter((a) => a.type === type);
          const counts = LIVENESS.map((l) => [l, agents.filter((a) => a.liveness === l).length] as const).filter(([, n]) => n > 0);
          const live = agents.filter((a) => a.liveness !== 'dead' && a.liveness !== 'stale');
          const status = h('span.action-status');
          const drain: HTMLButtonElement | null = can('POST /v1/fleets/:type/drain')
            ? h('button.small', { type: 'button', 'data-action': 'drain-fleet', title: 'drain every agent of this type, one at a time, waiting for each replacement', onclick: () => void act(drain!, status, () => baton.fleets.drain(type)) }, 'Rolling drain')
            : null;
          return h(
            'section.fleet-type',
            { 'data-type': type },
            h('div.toolbar', {}, h('h2', {}, type), counts.map(([l, n]) => h('span', { class: `pill lv-${l}` }, `${n} ${l}`)), h('span.muted', {}, `capacity ${live.reduce((n, a) => n + a.active.length, 0)}/${live.reduce((n, a) => n + a.concurrency, 0)} slots busy`), drain, status),
            h('table.grid', {}, h('thead', {}, h('tr', {}, ['Agent', 'Liveness', 'Last heartbeat', 'Busy', 'Current tasks', 'Process', ''].map((t) => h('th', {}, t)))), h('tbody', {}, agents.map((a) => agentRow(a, () => void load())))),
          );
        }),
      );
    } catch (e: unknown) {
      replaceChildren(body, errorState(e, 'the fleet'));
    }
  }
  void load();
  const timer = window.setInterval(() => void load(), REFRESH_MS);
  return () => clearInterval(timer);
};
