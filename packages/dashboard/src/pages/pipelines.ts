import type { JsonObject, PipelineView } from '@baton/contracts';
import { baton, can } from '../api.js';
import { dagView } from '../dag.js';
import { h, jsonBlock, replaceChildren } from '../dom.js';
import { duration, time } from '../format.js';
import { navigate, type Page } from '../router.js';
import { act, errorState } from './errors.js';

/** Registered pipelines (latest version of each). */
export const pipelinesPage: Page = (root) => {
  const body = h('div', {}, h('div.state', {}, 'Loading pipelines…'));
  root.append(h('div.toolbar', {}, h('h1', {}, 'Pipelines')), body);
  baton.pipelines
    .list()
    .then(({ items }) => {
      if (items.length === 0) {
        replaceChildren(body, h('div.state.empty', {}, 'No pipelines are registered. Register one with ', h('code', {}, 'PUT /v1/pipelines/:name'), ' (admin).'));
        return;
      }
      replaceChildren(
        body,
        h(
          'div.cards',
          {},
          items.map((p) =>
            h(
              'a.card',
              { href: `/ui/pipelines/${p.name}`, 'data-pipeline': p.name },
              h('div.toolbar', {}, h('h2', {}, p.name), h('span.muted', {}, `v${p.version} · ${p.definition.stages.length} stages · ${time(p.createdAt)}`)),
              p.definition.description ? h('p.muted', {}, p.definition.description) : null,
              dagView(p.definition.stages),
            ),
          ),
        ),
      );
    })
    .catch((e: unknown) => replaceChildren(body, errorState(e, 'the pipelines')));
};

function runForm(p: PipelineView): HTMLElement {
  const input = h('textarea', { rows: 4, 'aria-label': 'run input (JSON)', spellcheck: false }, '{}');
  const status = h('span.action-status');
  const submit: HTMLButtonElement = h(
    'button',
    {
      type: 'button',
      'data-action': 'submit-run',
      onclick: () =>
        void act(submit, status, async () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(input.value || '{}');
          } catch {
            throw new Error('the input is not valid JSON');
          }
          const run = await baton.runs.submit({ pipeline: p.name, version: p.version, input: parsed as JsonObject });
          navigate(`/ui/runs/${run.id}`);
        }),
    },
    `Run v${p.version}`,
  );
  return h('section.run-form', {}, h('h3', {}, 'Start a run'), input, h('div', {}, submit, status));
}

/** One pipeline: version picker, the DAG, each stage's settings, and a run form for submitters. */
export const pipelinePage: Page = (root, params, query) => {
  const name = params.name!;
  const body = h('div', {}, h('div.state', {}, 'Loading pipeline…'));
  root.append(body);
  const version = query.get('version');
  Promise.all([baton.pipelines.get(name, version ? { version: Number(version) } : {}), baton.pipelines.get(name)])
    .then(([p, latest]) => {
      const picker = h(
        'select',
        { 'aria-label': 'version', onchange: (e: Event) => navigate(`/ui/pipelines/${name}?version=${(e.target as HTMLSelectElement).value}`, true) },
        Array.from({ length: latest.version }, (_, i) => latest.version - i).map((v) => h('option', { value: v, selected: v === p.version }, `v${v}${v === latest.version ? ' (latest)' : ''}`)),
      );
      replaceChildren(
        body,
        h('div.toolbar', {}, h('h1', {}, p.name), picker, h('span.muted', {}, `registered ${time(p.createdAt)}`), h('a', { href: `/ui/runs?pipeline=${encodeURIComponent(p.name)}` }, 'its runs')),
        p.definition.description ? h('p', {}, p.definition.description) : null,
        h('div.dag-wrap', {}, dagView(p.definition.stages)),
        h(
          'table.grid',
          {},
          h('thead', {}, h('tr', {}, ['Stage', 'Agent', 'Depends on', 'Timeout', 'Attempts', 'On failure', 'Input'].map((t) => h('th', {}, t)))),
          h(
            'tbody',
            {},
            p.definition.stages.map((s) =>
              h('tr', {}, h('td', {}, s.name), h('td', {}, s.agent), h('td', {}, s.dependsOn.join(', ') || '—'), h('td', {}, duration(s.timeoutMs)), h('td', {}, `${s.retry.maxAttempts} (${s.retry.backoff.type} ${duration(s.retry.backoff.delayMs)})`), h('td', {}, s.onFailure), h('td', {}, jsonBlock(s.input))),
            ),
          ),
        ),
        can('POST /v1/runs') ? runForm(p) : null,
      );
    })
    .catch((e: unknown) => replaceChildren(body, errorState(e, `pipeline ${name}`)));
};
