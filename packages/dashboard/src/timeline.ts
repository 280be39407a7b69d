import { h } from './dom.js';
import { duration } from './format.js';
import type { Lane, Timeline } from './timeline-model.js';

function pct(t: number, tl: Timeline): number {
  return Math.min(100, Math.max(0, ((t - tl.t0) / (tl.t1 - tl.t0)) * 100));
}

function bar(cls: string, from: number, to: number, tl: Timeline, title: string, label = ''): HTMLElement {
  const el = h('div', { class: `bar ${cls}`, title }, label);
  el.style.left = `${pct(from, tl)}%`;
  el.style.width = `${Math.max(0.4, pct(to, tl) - pct(from, tl))}%`;
  return el;
}

function laneRow(lane: Lane, tl: Timeline, now: number, selected: boolean, select: (name: string) => void): HTMLElement {
  const s = lane.stage;
  const track = h('div.track');
  const firstStart = lane.attempts[0]?.start;
  const lastQueued = lane.queued.at(-1);
  if (lastQueued !== undefined) {
    const waitEnd = lane.attempts.find((a) => a.start >= lastQueued)?.start ?? (s.status === 'queued' ? now : firstStart);
    if (waitEnd !== undefined && waitEnd > lastQueued) track.append(bar('wait', lastQueued, waitEnd, tl, `waiting in the queue ${duration(waitEnd - lastQueued)}`));
  }
  for (const a of lane.attempts) {
    const end = a.end ?? now;
    const title = `attempt ${a.attempt} · ${a.outcome} · ${duration(end - a.start)}${a.agentId ? ` · ${a.agentId}` : ''}${a.error ? `\n${a.error}` : ''}`;
    track.append(bar(`att-${a.outcome}`, a.start, end, tl, title, lane.attempts.length > 1 ? `#${a.attempt}` : ''));
  }
  for (const i of lane.items) {
    const end = i.end ?? (s.status === 'running' || s.status === 'queued' ? now : (i.start + 1));
    track.append(bar(`item-span att-${i.outcome}`, i.start, end, tl, `item ${i.item} · ${i.outcome} · ${duration(end - i.start)}`));
  }
  const retries = lane.attempts.filter((a) => a.outcome === 'retrying').length;
  return h(
    'div.lane',
    { 'data-stage': s.name, class: selected ? 'selected' : '', role: 'button', tabindex: 0, onclick: () => select(s.name), onkeydown: (e: Event) => (e as KeyboardEvent).key === 'Enter' && select(s.name) },
    h(
      'div.lane-label',
      {},
      h('span.depth', { title: 'dependency level: stages on one level may run side by side' }, `L${lane.depth}`),
      h('span.stage-name', {}, s.name),
      h('span', { class: `dot st-${s.status}`, title: s.status, 'data-status': s.status }),
      h('span.muted', {}, ` ${s.agent} · ${s.items ? `${s.items.counts.succeeded + s.items.counts.failed}/${s.items.total} items` : `${s.attempts}/${s.maxAttempts}`}${retries ? ` · ${retries} retr${retries === 1 ? 'y' : 'ies'}` : ''}`),
    ),
    track,
  );
}

/** The stage timeline: one lane per stage (ordered by dependency level), bars per attempt over the run's time. */
export function timelineView(tl: Timeline, now: number, selected: string | null, select: (name: string) => void): HTMLElement {
  const span = tl.t1 - tl.t0;
  const axis = h('div.axis');
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const tick = h('span.tick', {}, `+${duration(span * f)}`);
    tick.style.left = `${f * 100}%`;
    axis.append(tick);
  }
  return h(
    'div.timeline',
    { 'aria-label': 'stage timeline' },
    h('div.lane.head', {}, h('div.lane-label.muted', {}, 'stage · agent · attempts'), axis),
    tl.lanes.map((l) => laneRow(l, tl, now, l.stage.name === selected, select)),
    h(
      'div.legend',
      {},
      ['wait', 'att-running', 'att-succeeded', 'att-retrying', 'att-failed', 'att-cancelled'].map((c) =>
        h('span', {}, h('span', { class: `swatch bar ${c}` }), { wait: 'queued', 'att-running': 'running', 'att-succeeded': 'succeeded', 'att-retrying': 'failed, retried', 'att-failed': 'failed', 'att-cancelled': 'cancelled' }[c]!),
      ),
    ),
  );
}
