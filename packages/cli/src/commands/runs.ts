import type { BatonClient } from '@baton/client';
import type { JsonValue, RunView } from '@baton/contracts';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { action, client, EXIT, output, UsageError } from '../cli-context.js';
import { followRun } from '../follow.js';
import { stageTable, statusText } from '../render.js';
import { registerBulkRuns } from './runs-bulk.js';
import { registerRunLogs } from './runs-logs.js';
import { addRunFilterOptions, runFilterOf, type RunFilterOptions } from '../run-filter-options.js';

const since = (iso: string | null, until: string | null) => {
  if (!iso) return '';
  const ms = (until ? Date.parse(until) : Date.now()) - Date.parse(iso);
  return ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
};

export function registerRuns(program: Command): void {
  const runs = program.command('runs').description('list, inspect and operate runs');

  addRunFilterOptions(runs.command('ls').description('runs, newest first'))
    .option('--limit <n>', 'page size', (v) => Number(v), 20)
    .option('--cursor <cursor>', 'the next page (printed after the table)')
    .action(
      action(async (opts: RunFilterOptions & { limit: number; cursor?: string }, cmd: Command) => {
        const page = await client(cmd).runs.list({ ...runFilterOf(opts), limit: opts.limit, cursor: opts.cursor });
        output(cmd, page, () => {
          const t = new Table({ head: ['id', 'status', 'pipeline', 'created', 'duration'] });
          for (const r of page.items) t.push([r.id, statusText(r.status), `${r.pipeline.name}${r.pipeline.version ? ` v${r.pipeline.version}` : ''}`, r.createdAt, since(r.startedAt ?? r.createdAt, r.finishedAt)]);
          return `${t.toString()}${page.nextCursor ? `\nmore: baton runs ls --cursor ${page.nextCursor} (with the same filters)` : ''}`;
        });
      }),
    );

  runs
    .command('show <id>')
    .description('a run and its stages')
    .action(
      action(async (id: string, _opts: unknown, cmd: Command) => {
        const run = await client(cmd).runs.get(id);
        output(cmd, run, () => stageTable(run));
      }),
    );

  runs
    .command('follow <id>')
    .description('live progress until the run ends; exit 0 only if it succeeded')
    .action(
      action(async (id: string, _opts: unknown, cmd: Command) => {
        const done = await followRun(client(cmd), id, { json: cmd.optsWithGlobals<{ json?: boolean }>().json ?? false });
        if (cmd.optsWithGlobals<{ json?: boolean }>().json) output(cmd, done, () => '');
        return done.status === 'succeeded' ? EXIT.ok : EXIT.failed;
      }),
    );

  type Opts = Record<string, string | undefined>;
  const act = (name: string, description: string, call: (api: BatonClient, id: string, opts: Opts) => Promise<RunView>) =>
    runs
      .command(`${name} <id>`)
      .description(description)
      .action(
        action(async (id: string, opts: Opts, cmd: Command) => {
          const run = await call(client(cmd), id, opts);
          output(cmd, run, () => stageTable(run));
        }),
      );
  act('cancel', 'cancel a run (running stages are aborted)', (api, id, o) => api.runs.cancel(id, o.reason ? { reason: o.reason } : {})).option('--reason <text>');
  act('retry', 're-run from a stage (default: the failed ones), keeping upstream outputs', (api, id, o) => api.runs.retry(id, o.from ? { fromStage: o.from } : {})).option('--from <stage>');
  act('fork', 'a new run of the same pipeline version from a stage, upstream outputs copied', (api, id, o) => {
    if (!o.from) throw new UsageError('--from <stage> is required');
    return api.runs.fork(id, { fromStage: o.from, ...(o.input ? { inputOverrides: JSON.parse(o.input) as Record<string, never> } : {}) });
  })
    .option('--from <stage>', 'the first stage to execute again')
    .option('--input <json>', 'input fields replacing the parent run\'s (JSON object)');
  act('pause', 'no new stage starts; running ones finish', (api, id) => api.runs.pause(id));
  act('resume', 'resume a paused run', (api, id) => api.runs.resume(id));
  for (const verb of ['approve', 'reject'] as const) {
    runs
      .command(`${verb} <id> <stage>`)
      .description(verb === 'approve' ? 'approve a waiting approval stage (the run continues)' : 'reject a waiting approval stage (it fails with APPROVAL_REJECTED)')
      .option('--comment <text>', 'recorded with the decision (stage output, events)')
      .action(
        action(async (id: string, stage: string, opts: Opts, cmd: Command) => {
          const body = opts.comment ? { comment: opts.comment } : {};
          const run = await (verb === 'approve' ? client(cmd).runs.approve(id, stage, body) : client(cmd).runs.reject(id, stage, body));
          output(cmd, run, () => stageTable(run));
        }),
      );
  }
  runs
    .command('signal <id> <name> [payload]')
    .description('send a signal to a run; [payload] is JSON (default null)')
    .action(
      action(async (id: string, name: string, payload: string | undefined, _opts: unknown, cmd: Command) => {
        const r = await client(cmd).runs.signal(id, name, payload === undefined ? null : (JSON.parse(payload) as JsonValue));
        output(cmd, r, () => stageTable(r.run));
      }),
    );
  registerBulkRuns(runs);
  registerRunLogs(runs);
}
