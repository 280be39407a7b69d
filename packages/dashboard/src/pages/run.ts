import type { ArtifactList, RunEvent, RunView } from '@baton/contracts';
import { baton, can, session } from '../api.js';
import { h, pill, replaceChildren } from '../dom.js';
import { duration, modelBudget, modelUsage, time } from '../format.js';
import { liveRefresh } from '../live.js';
import type { Page } from '../router.js';
import { timelineView } from '../timeline.js';
import { buildTimeline } from '../timeline-model.js';
import { act, errorState } from './errors.js';
import { stageDetail } from './stage-detail.js';
import { StageLogTail } from './stage-log.js';
import { waitingBanner } from './approval-banner.js';

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
  let lastEventId: string | undefined;
  let ticker: number | null = null;
  /** The selected stage's live log; kept across redraws (its stream and scroll position with it). */
  let tail: StageLogTail | null = null;

  const head = h('div');
  const actions = h('div.actions');
  const timeline = h('div', {}, h('div.state', {}, 'Loading run…'));
  const detail = h('div');
  const logBox = h('div');
  const log = h('details.events', {}, h('summary', {}, 'Events'));
  root.append(head, actions, timeline, detail, logBox, log);

  async function refresh(): Promise<void> {
    try {
      const [r, a] = await Promise.all([baton.runs.get(id), baton.runs.artifacts(id)]);
      run = r;
      artifacts = a.items;
      draw();
      // A running run's bars grow with time even without events.
      if (!TERMINAL.has(r.status) && ticker === null) ticker = window.setInterval(draw, 1000);
      if (TERMINAL.has(r.status) && ticker !== null) {
        clearInterval(ticker);
        ticker = null;
      }
    } catch (e: unknown) {
      replaceChildren(timeline, errorState(e, `run ${id}`));
    }
  }

  function canCancel(r: RunView): boolean {
    if (!can('POST /v1/runs/:id/cancel')) return false;
    // Submitters may cancel only their own runs; operators and admins any.
    return session.me?.role !== 'submitter' || (r.createdBy !== null && r.createdBy === session.me.keyId);
  }

  function button(label: string, action: string, call: () => Promise<unknown>): HTMLButtonElement {
    const status = h('span.action-status');
    const b = h('button', { type: 'button', 'data-action': action, onclick: () => void act(b, status, async () => (await call(), restartStream())) }, label);
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
      r.priority !== undefined && r.priority !== 5 ? h('p', {}, h('span.label', { 'data-priority': r.priority }, `priority ${r.priority}`)) : null,
      r.deadlineAt ? h('p.muted', {}, `deadline ${time(r.deadlineAt)}`) : null,
      r.usage || r.budget ? h('p.muted', { 'data-run-model': '' }, `model: ${r.usage ? modelUsage(r.usage) : 'no calls yet'}${r.budget ? ` · ${modelBudget(r.budget)}` : ''}`) : null,
      r.forkedFrom ? h('p', { 'data-testid': 'forked-from' }, 'forked from ', h('a.mono', { href: `/ui/runs/${r.forkedFrom.runId}` }, r.forkedFrom.runId), ` at stage ${r.forkedFrom.fromStage}`) : null,
      r.forks && r.forks.length > 0 ? h('p', { 'data-testid': 'forks' }, 'forks: ', r.forks.map((id) => [h('a.mono', { href: `/ui/runs/${id}` }, id), ' '])) : null,
      r.error ? h('div.state.error', {}, h('strong', {}, r.error.code), ` ${r.error.message}`) : null,
      waitingBanner(r, restartStream),
    );
    actions.replaceChildren();
    if (!TERMINAL.has(r.status) && canCancel(r)) button('Cancel run', 'cancel', () => baton.runs.cancel(r.id, { reason: `cancelled from the dashboard by ${session.me?.name ?? 'someone'}` }));
    if ((r.status === 'running' || r.status === 'queued') && can('POST /v1/runs/:id/pause')) button('Pause', 'pause', () => baton.runs.pause(r.id));
    if (r.status === 'paused' && can('POST /v1/runs/:id/resume')) button('Resume', 'resume', () => baton.runs.resume(r.id));
    if (TERMINAL.has(r.status) && r.status !== 'succeeded' && can('POST /v1/runs/:id/retry')) button('Retry failed stages', 'retry', () => baton.runs.retry(r.id));

    const tl = buildTimeline(r, events, now);
    selected ??= (r.stages.find((s) => s.status === 'failed' || s.status === 'running') ?? r.stages[0])?.name ?? null;
    replaceChildren(timeline, timelineView(tl, now, selected, (name) => ((selected = name), draw())));
    const s = r.stages.find((x) => x.name === selected);
    replaceChildren(detail, s ? stageDetail(r, s, tl.lanes.find((l) => l.stage.name === s.name), artifacts, restartStream) : null);
    drawLog(s);
    const list = log.querySelector('ol') ?? log.appendChild(h('ol.event-list'));
    replaceChildren(list, events.slice(-200).map((e) => h('li', {}, h('span.muted', {}, time(e.at)), ` ${e.type}`, 'stage' in e ? ` ${e.stage}` : '')));
  }

  /** The live log of the selected stage's dispatch: a new tail when the stage or its dispatch changes. */
  function drawLog(s: RunView['stages'][number] | undefined): void {
    const dispatch = s?.resolvedInput?.dispatch ?? null;
    if (tail && (tail.stage !== s?.name || tail.dispatch !== dispatch)) {
      tail.stop();
      tail = null;
      logBox.replaceChildren();
    }
    if (!s || s.approval || s.waitFor) return;
    if (!tail) {
      tail = new StageLogTail(id, s.name, dispatch);
      logBox.append(tail.el);
    }
    tail.update(s);
  }

  /** Follows the run's events after the last one seen (the client ends it after the run's final event). */
  function restartStream(): void {
    stopStream?.();
    const reconnect = { maxAttempts: Number.POSITIVE_INFINITY, maxDelayMs: 5000 };
    stopStream = liveRefresh((signal) => baton.runs.follow(id, { signal, reconnect, ...(lastEventId ? { lastEventId } : {}) }), refresh, {
      minGapMs: 250,
      onEvent: ({ id: eventId, event }) => {
        lastEventId = eventId;
        if (seen.has(eventId)) return;
        seen.add(eventId);
        events.push(event);
      },
    });
  }
  restartStream();
  return () => {
    stopStream?.();
    tail?.stop();
    if (ticker !== null) clearInterval(ticker);
  };
};
