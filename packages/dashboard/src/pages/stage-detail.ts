import type { ArtifactMeta, RunView, StageView } from '@baton/contracts';
import { baton, can } from '../api.js';
import { h, jsonBlock, pill } from '../dom.js';
import { bytes, duration, modelUsage, time } from '../format.js';
import type { Lane } from '../timeline-model.js';
import { act } from './errors.js';

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const isText = (a: ArtifactMeta) => a.contentType.startsWith('text/') || a.contentType.includes('json') || /\.(log|txt|json)$/.test(a.name);
const artifactUrl = (a: ArtifactMeta) => `/v1/runs/${a.runId}/artifacts/${a.id}`;

function artifactView(a: ArtifactMeta): HTMLElement {
  const link = h('a', { href: artifactUrl(a), target: '_blank', rel: 'noopener' }, a.name);
  const row = h('div.artifact', {}, link, h('span.muted', {}, ` ${a.contentType} · ${bytes(a.size)} · ${time(a.createdAt)}`));
  if (a.contentType.startsWith('image/')) {
    row.append(h('img.shot', { src: artifactUrl(a), alt: a.name, loading: 'lazy' }));
  } else if (isText(a) && a.size <= 256 * 1024) {
    const pre = h('pre.log', {}, 'loading…');
    row.append(pre);
    baton.runs
      .artifact(a.runId, a.id)
      .then(async (r) => (pre.textContent = await r.text()))
      .catch((e: unknown) => (pre.textContent = `could not load${e instanceof Error ? ` (${e.message})` : ''}`));
  }
  return row;
}

const ITEM_STATES = { p: 'pending', q: 'queued', r: 'running', s: 'succeeded', f: 'failed', c: 'cancelled' } as const;

/** A fan-out stage's items: counts, one square per item (by state), and the failures. */
function itemsView(items: NonNullable<StageView['items']>): HTMLElement {
  const c = items.counts;
  const summary = `${items.total} items, at most ${items.maxParallel} at once: ${c.succeeded} succeeded, ${c.running} running, ${c.queued} queued, ${c.pending} pending, ${c.failed} failed, ${c.cancelled} cancelled`;
  const squares = [...items.states].map((ch, i) => {
    const state = ITEM_STATES[ch as keyof typeof ITEM_STATES] ?? 'pending';
    return h(`span.item.st-${state}`, { title: `item ${i}: ${state}`, 'data-item': String(i) });
  });
  return h(
    'div.fan-out',
    { 'data-items': String(items.total) },
    h('h3', {}, 'Items (fan-out)'),
    h('p.muted', {}, summary),
    h('div.items', {}, squares),
    items.failures.length ? h('ol.attempts', {}, items.failures.map((f) => h('li', {}, `item ${f.item}: `, h('strong', {}, f.code), ` ${f.message}`))) : null,
  );
}

/** The inputs earlier dispatches of the stage received (it was retried from the API), newest first. */
function earlierInputs(s: StageView): HTMLElement | null {
  const earlier = (s.resolvedInputs ?? []).filter((r) => r.dispatch !== s.resolvedInput?.dispatch).reverse();
  if (earlier.length === 0) return null;
  return h(
    'details',
    { 'data-testid': 'earlier-inputs' },
    h('summary', {}, `Earlier dispatches (${earlier.length})`),
    earlier.map((r) => h('div', { 'data-dispatch': r.dispatch }, h('p.muted', {}, `dispatch ${r.dispatch}${r.truncated ? ' (truncated)' : ''}`), jsonBlock(r.input))),
  );
}

/** One stage: status, timings, attempts, input (as defined), output, error, logs and artifacts, retry-from-here. */
export function stageDetail(run: RunView, s: StageView, lane: Lane | undefined, artifacts: ArtifactMeta[], changed: () => void): HTMLElement {
  const status = h('span.action-status');
  const retry =
    can('POST /v1/runs/:id/retry') && TERMINAL.has(run.status)
      ? h('button', { type: 'button', 'data-action': 'retry-stage', onclick: (e: Event) => void act(e.currentTarget as HTMLButtonElement, status, async () => (await baton.runs.retry(run.id, { fromStage: s.name }), changed())) }, 'Retry from this stage')
      : null;
  const mine = artifacts.filter((a) => a.stage === s.name);
  return h(
    'section.stage-detail',
    { 'data-stage-detail': s.name },
    h('div.toolbar', {}, h('h2', {}, s.name), pill(s.status), h('span.muted', {}, `agent ${s.agent}${s.agentId ? ` (${s.agentId})` : ''}`), retry, status),
    h(
      'dl.facts',
      {},
      h('dt', {}, 'attempts'),
      h('dd', {}, `${s.attempts} of ${s.maxAttempts}`),
      h('dt', {}, 'queued'),
      h('dd', {}, time(s.queuedAt)),
      h('dt', {}, 'started'),
      h('dd', {}, time(s.startedAt)),
      h('dt', {}, 'finished'),
      h('dd', {}, time(s.finishedAt)),
      h('dt', {}, 'duration'),
      h('dd', {}, duration(s.durationMs)),
      h('dt', {}, 'depends on'),
      h('dd', {}, s.dependsOn.join(', ') || '—'),
      s.progress ? [h('dt', {}, 'progress'), h('dd', {}, `${s.progress.percent ?? '?'}% ${s.progress.message ?? ''}`)] : null,
      s.waitingReason ? [h('dt', {}, 'waiting'), h('dd.warn', {}, s.waitingReason)] : null,
      s.usage ? [h('dt', {}, 'model'), h('dd', { 'data-model-usage': s.name }, modelUsage(s.usage))] : null,
    ),
    lane && lane.attempts.length > 0
      ? h(
          'ol.attempts',
          {},
          lane.attempts.map((a) => h('li', {}, `attempt ${a.attempt}: ${a.outcome} after ${duration((a.end ?? Date.now()) - a.start)}${a.agentId ? ` on ${a.agentId}` : ''}`, a.error ? h('div.error-text', {}, a.error) : null)),
        )
      : null,
    s.items ? itemsView(s.items) : null,
    s.error ? h('div.state.error', {}, h('strong', {}, s.error.code), ` ${s.error.message}${s.error.retryable ? ' (retryable)' : ''}`) : null,
    h(
      'div.cols',
      {},
      h('div', {}, h('h3', {}, 'Input (as defined)'), jsonBlock(s.input ?? {})),
      h(
        'div',
        { 'data-testid': 'resolved-input' },
        h('h3', {}, s.resolvedInput ? `Input received (dispatch ${s.resolvedInput.dispatch}, $from resolved${s.resolvedInput.truncated ? ', truncated' : ''})` : 'Input received'),
        s.resolvedInput ? jsonBlock(s.resolvedInput.input) : h('p.muted', {}, 'not dispatched yet'),
        earlierInputs(s),
      ),
      h('div', {}, h('h3', {}, 'Output'), s.output === null ? h('p.muted', {}, 'none yet') : jsonBlock(s.output)),
    ),
    h('h3', {}, `Logs and artifacts (${mine.length})`),
    mine.length ? mine.map(artifactView) : h('p.muted', {}, 'This stage stored no logs or artifacts.'),
  );
}
