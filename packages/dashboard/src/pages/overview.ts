import type { Overview } from '@baton/contracts';
import uPlot from 'uplot';
import { baton } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { duration, localInput } from '../format.js';
import { navigate, type Page } from '../router.js';
import { errorState } from './errors.js';

const REFRESH_MS = 30_000;
const RANGES: [string, number][] = [
  ['1h', 3600_000],
  ['6h', 6 * 3600_000],
  ['24h', 24 * 3600_000],
];
const OUTCOME_COLOURS = { succeeded: '#1f9d55', failed: '#d64545', cancelled: '#8a94a6' } as const;
const PALETTE = ['#2f5bd3', '#c98a00', '#1f9d55', '#d64545', '#7a4cc2', '#0f8b8d', '#b5487a', '#667085'];

/** The range of the page: `?range=1h|6h|24h` (relative to now, refreshing) or `?from=&to=` (ISO, fixed). */
function rangeOf(query: URLSearchParams): { from: string; to: string; live: boolean; label: string } {
  const from = query.get('from');
  const to = query.get('to');
  if (from && to && !Number.isNaN(Date.parse(from)) && !Number.isNaN(Date.parse(to))) return { from, to, live: false, label: 'custom' };
  const [label, ms] = RANGES.find(([l]) => l === query.get('range')) ?? RANGES[0]!;
  const now = Date.now();
  return { from: new Date(now - ms).toISOString(), to: new Date(now).toISOString(), live: true, label };
}


interface Series {
  label: string;
  colour: string;
  values: (number | null)[];
}

/** One uPlot chart; the data it draws is also on the element (data-series) for tests and screen readers. */
function chart(name: string, title: string, minutes: number[], series: Series[], unit: 'count' | 'seconds', width: number): HTMLElement {
  const box = h('figure.chart', { 'data-chart': name, 'aria-label': title }, h('figcaption', {}, title));
  box.dataset.series = JSON.stringify(Object.fromEntries(series.map((s) => [s.label, s.values])));
  if (series.length === 0) {
    box.append(h('p.muted', {}, 'Nothing in this range.'));
    return box;
  }
  const fmt = (v: number | null) => (v === null ? '—' : unit === 'seconds' ? duration(v * 1000) : String(Math.round(v * 100) / 100));
  const opts: uPlot.Options = {
    width,
    height: 180,
    // Points as well as lines: a minute with neighbours missing (a gap) still shows.
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.colour, fill: undefined, width: 1.5, spanGaps: false, points: { show: true, size: 5, fill: s.colour }, value: (_u: uPlot, v: number | null) => fmt(v) }))],
    axes: [{}, { size: 60, values: (_u: uPlot, ticks: number[]) => ticks.map((t) => fmt(t)) }],
    scales: { y: { range: (_u: uPlot, _min: number, max: number) => [0, Math.max(1, max)] } },
    legend: { live: true },
  };
  const plot = new uPlot(opts, [minutes, ...series.map((s) => s.values)] as uPlot.AlignedData, box);
  box.dataset.drawn = String(plot.series.length - 1);
  return box;
}

function runsLink(status: string, n: number, to: string): HTMLElement {
  // The run list filters by creation time, not by finish: every run finished in the range was created
  // before its end (one finished in it may have been created before its start, so no lower bound).
  const q = new URLSearchParams({ status, createdBefore: to });
  return h('a', { href: `/ui/runs?${q}`, 'data-figure': `runs-${status}`, 'data-value': n, title: `${status} runs` }, String(n));
}

function figures(o: Overview): HTMLElement {
  const t = o.runs.total;
  return h(
    'div.figures',
    {},
    (['succeeded', 'failed', 'cancelled'] as const).map((s) =>
      h('div.figure', { class: `st-${s}` }, h('span.muted', {}, `Runs ${s}`), h('strong', {}, runsLink(s, t[s], o.to))),
    ),
  );
}

function stageTable(o: Overview): HTMLElement {
  if (o.stages.length === 0) return h('p.muted', {}, 'No stages finished in this range.');
  return h(
    'table.grid',
    { 'data-table': 'stages' },
    h('thead', {}, h('tr', {}, ['Agent type', 'Stages finished', 'p50', 'p95'].map((x) => h('th', {}, x)))),
    h(
      'tbody',
      {},
      o.stages.map((s) =>
        h(
          'tr',
          { 'data-agent': s.agent },
          h('td', {}, s.agent),
          h('td', { 'data-figure': 'stages-finished', 'data-value': s.total.finished }, s.total.finished),
          h('td', { 'data-figure': 'p50', 'data-value': s.total.p50 ?? '' }, duration(s.total.p50 === null ? null : s.total.p50 * 1000)),
          h('td', { 'data-figure': 'p95', 'data-value': s.total.p95 ?? '' }, duration(s.total.p95 === null ? null : s.total.p95 * 1000)),
        ),
      ),
    ),
  );
}

function fleetTable(o: Overview): HTMLElement {
  return h(
    'table.grid',
    { 'data-table': 'fleet' },
    h('thead', {}, h('tr', {}, ['Agent type', 'Waiting now', 'Oldest waiting', 'Agents alive'].map((x) => h('th', {}, x)))),
    h(
      'tbody',
      {},
      o.gauges.map((g) =>
        h(
          'tr',
          { 'data-agent': g.agent },
          h('td', {}, h('a', { href: '/ui/queues' }, g.agent)),
          h('td', { 'data-figure': 'waiting', 'data-value': g.now.waiting }, g.now.waiting),
          h('td', { 'data-figure': 'oldest', 'data-value': g.now.oldestWaitingSeconds }, g.now.waiting > 0 ? duration(g.now.oldestWaitingSeconds * 1000) : '—'),
          h('td', { 'data-figure': 'alive', 'data-value': g.now.alive }, g.now.alive),
        ),
      ),
    ),
  );
}

function render(body: HTMLElement, o: Overview): void {
  // Two charts a row on a wide screen (each figure adds padding and a border).
  const width = Math.max(320, Math.floor(Math.min(body.clientWidth || 900, 1600) / (body.clientWidth > 1000 ? 2 : 1)) - 40);
  const colour = (i: number) => PALETTE[i % PALETTE.length]!;
  // Agent types with something to show: others would only add flat lines at zero.
  const active = o.gauges.filter((g) => g.now.waiting + g.now.alive > 0 || [...g.waiting, ...g.alive].some((v) => (v ?? 0) > 0));
  const stageSeries = o.stages.flatMap((s, i) => [
    { label: `${s.agent} p50`, colour: colour(i), values: s.p50 },
    { label: `${s.agent} p95`, colour: colour(i) + '99', values: s.p95 },
  ]);
  replaceChildren(
    body,
    figures(o),
    h(
      'div.charts',
      {},
      chart('runs', 'Runs finished per minute', o.minutes, (['succeeded', 'failed', 'cancelled'] as const).map((s) => ({ label: s, colour: OUTCOME_COLOURS[s], values: o.runs[s] })), 'count', width),
      chart('durations', 'Stage duration p50 / p95 by agent type', o.minutes, stageSeries, 'seconds', width),
      chart('waiting', 'Jobs waiting per agent type (sampled each minute)', o.minutes, active.map((g, i) => ({ label: g.agent, colour: colour(i), values: g.waiting })), 'count', width),
      chart('oldest', 'Oldest waiting job per agent type (sampled)', o.minutes, active.map((g, i) => ({ label: g.agent, colour: colour(i), values: g.oldestWaitingSeconds })), 'seconds', width),
      chart('alive', 'Agents alive per type (sampled)', o.minutes, active.map((g, i) => ({ label: g.agent, colour: colour(i), values: g.alive })), 'count', width),
    ),
    h('h3', {}, 'Stage durations over the range'),
    stageTable(o),
    h('h3', {}, 'Fleet now'),
    fleetTable(o),
    h('p.muted', {}, `Percentiles come from fixed duration buckets (${o.durationBounds.length + 1}, bounds ${o.durationBounds[0]} s … ${o.durationBounds.at(-1)} s): exact to within the bucket that holds them.`),
  );
}

/** The landing page: what the fleet did over the last hour (or a chosen range), as plots. */
export const overviewPage: Page = (root, _params, query) => {
  const range = rangeOf(query);
  const body = h('div.overview', {}, h('div.state', {}, 'Loading the overview…'));
  const rangeSel = h(
    'select',
    { 'aria-label': 'range', 'data-filter': 'range', onchange: (e: Event) => navigate(`/ui/overview?range=${(e.target as HTMLSelectElement).value}`) },
    [...RANGES.map(([l]) => h('option', { value: l, selected: l === range.label }, `last ${l}`)), range.live ? null : h('option', { value: 'custom', selected: true, disabled: true }, 'custom')],
  );
  const fromIn = h('input', { type: 'datetime-local', 'aria-label': 'from', value: localInput(range.from) });
  const toIn = h('input', { type: 'datetime-local', 'aria-label': 'to', value: localInput(range.to) });
  const apply = h('button.small', {
    type: 'button',
    onclick: () => {
      const from = new Date(fromIn.value);
      const to = new Date(toIn.value);
      if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return;
      navigate(`/ui/overview?${new URLSearchParams({ from: from.toISOString(), to: to.toISOString() })}`);
    },
  }, 'Show');
  root.append(
    h('div.toolbar', {}, h('h1', {}, 'Overview'), rangeSel, fromIn, h('span.muted', {}, '→'), toIn, apply, range.live ? h('span.live', { title: `refreshes every ${REFRESH_MS / 1000} s` }, 'live') : null),
    body,
  );
  let stopped = false;
  async function load(): Promise<void> {
    const r = range.live ? rangeOf(query) : range;
    try {
      const o = await baton.overview({ from: r.from, to: r.to });
      if (!stopped) render(body, o);
    } catch (e: unknown) {
      if (!stopped) replaceChildren(body, errorState(e, 'the overview'));
    }
  }
  void load();
  const timer = range.live ? window.setInterval(() => void load(), REFRESH_MS) : undefined;
  return () => {
    stopped = true;
    if (timer !== undefined) clearInterval(timer);
  };
};
