import type { RunFilter, RunStatus } from '@baton/contracts';
import { h } from '../dom.js';
import { localInput } from '../format.js';

/**
 * The run list's filters beyond status and pipeline, kept in the URL under the API's own parameter
 * names (`label` repeated, `createdBy`, `pipelineVersion`, `createdAfter`, `createdBefore`), so a link
 * (from the overview, a chat message, the CLI's output) opens the same list the API would return.
 */
export function readRunFilter(query: URLSearchParams): RunFilter {
  const labels = query.getAll('label').filter(Boolean);
  const version = Number(query.get('pipelineVersion'));
  const pipeline = query.get('pipeline');
  const text = (k: string) => query.get(k) || undefined;
  const f: RunFilter = {
    ...(query.get('status') ? { status: query.get('status') as RunStatus } : {}),
    ...(pipeline ? { pipeline } : {}),
    ...(pipeline && Number.isInteger(version) && version > 0 ? { pipelineVersion: version } : {}),
    ...(labels.length === 1 ? { label: labels[0]! } : labels.length > 1 ? { label: labels } : {}),
    ...(text('createdBy') ? { createdBy: text('createdBy')! } : {}),
    ...(text('createdAfter') ? { createdAfter: text('createdAfter')! } : {}),
    ...(text('createdBefore') ? { createdBefore: text('createdBefore')! } : {}),
  };
  return f;
}

/** True when the filter narrows the list (an empty filter is refused by the bulk routes). */
export function narrows(f: RunFilter): boolean {
  return Object.keys(f).length > 0;
}

/** ISO instant of a `datetime-local` value ('' stays ''). */
function fromLocalInput(v: string): string {
  return v ? new Date(v).toISOString() : '';
}

/**
 * Inputs for labels (`key:value`, several separated by spaces: all must match), creator key id,
 * pipeline version (with a pipeline) and a created-at range. `set` writes one URL parameter (several
 * values for `label`); an empty value removes it.
 */
export function extraFilterControls(query: URLSearchParams, set: (k: string, v: string | string[]) => void): HTMLElement {
  const labels = h('input', {
    type: 'text',
    'aria-label': 'labels',
    placeholder: 'labels key:value …',
    value: query.getAll('label').join(' '),
    onchange: (e: Event) => set('label', (e.target as HTMLInputElement).value.split(/[\s,]+/).filter(Boolean)),
  });
  const creator = h('input', {
    type: 'text',
    'aria-label': 'created by',
    placeholder: 'created by (key id)',
    value: query.get('createdBy') ?? '',
    onchange: (e: Event) => set('createdBy', (e.target as HTMLInputElement).value.trim()),
  });
  const version = h('input', {
    type: 'number',
    min: '1',
    'aria-label': 'pipeline version',
    placeholder: 'version',
    value: query.get('pipelineVersion') ?? '',
    disabled: !query.get('pipeline'),
    title: 'pipeline version (choose a pipeline first)',
    onchange: (e: Event) => set('pipelineVersion', (e.target as HTMLInputElement).value),
  });
  const range = (k: 'createdAfter' | 'createdBefore', label: string) =>
    h('label.muted', {}, `${label} `, h('input', { type: 'datetime-local', 'aria-label': k, value: localInput(query.get(k)), onchange: (e: Event) => set(k, fromLocalInput((e.target as HTMLInputElement).value)) }));
  return h('div.toolbar.filters', {}, labels, creator, version, range('createdAfter', 'created from'), range('createdBefore', 'to'));
}
