import type { BulkRunResponse } from '@baton/contracts';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { action, client, EXIT, output } from '../cli-context.js';
import { addRunFilterOptions, runFilterOf, type RunFilterOptions } from '../run-filter-options.js';

interface BulkOptions extends RunFilterOptions {
  dryRun?: boolean;
  yes?: boolean;
  limit: number;
  key?: string;
  reason?: string;
}

function render(r: BulkRunResponse): string {
  if (r.dryRun) return `${r.matched}${r.matchedCapped ? '+' : ''} runs match${r.ids.length > 0 ? `; the first:\n  ${r.ids.join('\n  ')}` : ''}`;
  const t = new Table({ head: ['run', 'outcome', 'reason'] });
  for (const x of r.results) t.push([x.runId, x.outcome, x.reason ?? '']);
  return `${t.toString()}\n${r.done} done, ${r.skipped} skipped${r.more ? '; more runs match: repeat the command (with the same --key) for the rest' : ''}`;
}

/** `baton runs cancel-all|retry-all <filters>`: a dry run first unless --yes. */
export function registerBulkRuns(runs: Command): void {
  for (const act of ['cancel', 'retry'] as const) {
    const cmd = addRunFilterOptions(runs.command(`${act}-all`).description(`${act} every run the filters match (dry run unless --yes)`))
      .option('--dry-run', 'only count the matching runs')
      .option('--yes', `${act} them without asking for a dry run first`)
      .option('--limit <n>', 'at most this many runs per call', (v) => Number(v), 100)
      .option('--key <idempotency-key>', 'repeating the command with the same key resumes it (no run is acted on twice)');
    if (act === 'cancel') cmd.option('--reason <text>');
    cmd.action(
      action(async (opts: BulkOptions, c: Command) => {
        const api = client(c);
        const body = { filter: runFilterOf(opts), dryRun: opts.dryRun === true || opts.yes !== true, limit: opts.limit, ...(opts.reason ? { reason: opts.reason } : {}) };
        const call = act === 'cancel' ? api.runs.bulkCancel : api.runs.bulkRetry;
        const r = await call(body, opts.key ? { idempotencyKey: opts.key } : {});
        output(c, r, () => (r.dryRun && opts.dryRun !== true ? `${render(r)}\nrepeat with --yes to ${act} them` : render(r)));
        return r.dryRun || r.skipped === 0 ? EXIT.ok : EXIT.failed;
      }),
    );
  }
}
