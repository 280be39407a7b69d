import type { ArtifactList, RunEvent, RunView } from '@baton/contracts';
import { api, can, session } from '../api.js';
import { h, pill, replaceChildren } from '../dom.js';
import { duration, time } from '../format.js';
import { liveRefresh } from '../live.js';
import type { Page } from '../router.js';
import { timelineView } from '../timeline.js';
import { buildTimeline } from '../timeline-model.js';
import { act, errorState } from './errors.js';
import { stageDetail } from './stage-detail.js';

const EVENT_TYPES = [
  'run.created', 'run.started', 'run.paused', 'run.resumed', 'run.retried', 'run.succeeded', 'run.failed', 'run.cancelled',
  'stage.queued', 'stage.started', 'stage.progress', 'stage.retrying', 'stage.succeeded', 'stage.failed', 'stage.skipped', 'stage.cancelled',
];
const FINAL = new Set(['run.succeeded', 'run.failed', 'run.cancelled']);
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** The run page: header, actions, the stage timeline and one stage's details; live over the run's SSE stream. */
export const runPage: Page = (root, params) => {
  const id = params.id!;
  const events: RunEvent[] = [];
  const seen = new Set<string>();
  let run: RunView | null = null;
  let artifacts: ArtifactList['items'] = [];
  let selected: string | null = null;
  let stopStream: (() => void) | null = null;
  let ticker: number | null = null;

  const head = h('div');
  const actions = h('div.actions');
  const timeline = h('div', {}, h('div.state', {}, 'Loading run…'));
  const detail = h('div');
  const log = h('details.events', {}, h('summary', {}, 'Events'));
  root.append(head, actions, timeline, detail, log);

  async function refresh(): Promise<void> {
    try {
      const [r, a] = await Promise.all([api<RunView>('GET', `/v1/runs/${id}`), api<ArtifactList>('GET', `/v1/runs/${id}/artifacts`)]);
      run = r;
      artifacts = a.items;
      draw();
      // A running run's bars grow with time even without events.
      if (!TERMINAL.has(r.status) && ticker === null) ticker = window.setInterval(draw, 1000);
      if (TERMINAL.has(r.status) && ticker !== null) {
        clearInterval(ticker);
        ticker = null;
      }
      // The server ends the stream after the run's final event: stop listening instead of reconnecting.
      const last = events.at(-1);
      if (TERMINAL.has(r.status) && last && FINAL.has(last.type)) stopStream?.();
    } catch (e: unknown) {
      replaceChildren(timeline, errorState(e, `run ${id}`));
    }
  }

  function canCancel(r: RunView): boolean {
    if (!can('POST /v1/runs/:id/cancel')) return false;
    // Submitters may cancel only their own runs; operators and admins any.
    return session.me?.role !== 'submitter' || (r.createdBy !== null && r.createdBy === session.me.keyId);
  }

  function button(label: string, action: string, path: string, body?: unknown): HTMLButtonElement {
    const status = h('span.action-status');
    const b = h('button', { type: 'button', 'data-action': action, onclick: () => void act(b, status, async () => (await api('POST', path, body ?? {}), restartStream())) }, label);
    actions.append(b, status);
    return b;
  }

  function draw(): void {
    const r = run;
    if (!r) return;
    const now = Date.now();
    const end = r.finishedAt ? Date.parse(r.finishedAt) : now;
    replaceChildren(
      head,
      h('div.toolbar', {}, h('h1.mono', {}, r.id), h('span', { id: 'run-status' }, pill(r.status)), r.pipeline.version !== null ? h('a', { href: `/ui/pipelines/${r.pipeline.name}?version=${r.pipeline.version}` }, `${r.pipeline.name} v${r.pipeline.version}`) : h('span.muted', {}, 'inline definition'),
        Object.entries(r.labels).map(([k, v]) => h('span.label', {}, `${k}=${v}`))),
      h('p.muted', {}, `created ${time(r.createdAt)} · started ${time(r.startedAt)} · ${r.finishedAt ? `finished ${time(r.finishedAt)} · ` : ''}took ${duration(r.startedAt ? end - Date.parse(r.startedAt) : null)}`),
      r.error ? h('div.state.error', {}, h('strong', {}, r.error.code), ` ${r.error.message}`) : null,
    );
    actions.replaceChildren();
    if (!TERMINAL.has(r.status) && canCancel(r)) button('Cancel run', 'cancel', `/v1/runs/${r.id}/cancel`, { reason: `cancelled from the dashboard by ${session.me?.name ?? 'someone'}` });
    if ((r.status === 'running' || r.status === 'queued') && can('POST /v1/runs/:id/pause')) button('Pause', 'pause', `/v1/runs/${r.id}/pause`);
    if (r.status === 'paused' && can('POST /v1/runs/:id/resume')) button('Resume', 'resume', `/v1/runs/${r.id}/resume`);
    if (TERMINAL.has(r.status) && r.status !== 'succeeded' && can('POST /v1/runs/:id/retry')) button('Retry failed stages', 'retry', `/v1/runs/${r.id}/retry`);

    const tl = buildTimeline(r, events, now);
    selected ??= (r.stages.find((s) => s.status === 'failed' || s.status === 'running') ?? r.stages[0])?.name ?? null;
    replaceChildren(timeline, timelineView(tl, now, selected, (name) => ((selected = name), draw())));
    const s = r.stages.find((x) => x.name === selected);
    replaceChildren(detail, s ? stageDetail(r, s, tl.lanes.find((l) => l.stage.name === s.name), artifacts, restartStream) : null);
    const list = log.querySelector('ol') ?? log.appendChild(h('ol.event-list'));
    replaceChildren(list, events.slice(-200).map((e) => h('li', {}, h('span.muted', {}, time(e.at)), ` ${e.type}`, 'stage' in e ? ` ${e.stage}` : '')));
  }

  function restartStream(): void {
    stopStream?.();
    stopStream = liveRefresh(`/v1/runs/${id}/events`, refresh, {
      events: EVENT_TYPES,
      minGapMs: 250,
      onEvent: (_type, data, eventId) => {
        if (!seen.has(eventId)) {
          seen.add(eventId);
          try {
            events.push(JSON.parse(data) as RunEvent);
          } catch {
            // not an event of ours
          }
        }
        return false;
      },
    });
  }
  restartStream();
  return () => {
    stopStream?.();
    if (ticker !== null) clearInterval(ticker);
  };
};
