import type { BatonClient } from '@baton/client';
import type { StageLogEntry } from '@baton/contracts';
import type { Command } from 'commander';
import { action, client, globals, UsageError } from '../cli-context.js';

function print(e: StageLogEntry, json: boolean, prefix: string): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(e)}\n`);
    return;
  }
  if (e.kind === 'lines') for (const l of e.lines ?? []) process.stdout.write(`${prefix}${l}\n`);
  else if (e.kind === 'truncated') process.stdout.write(`${prefix}[… truncated: ${e.detail ?? ''}]\n`);
  else process.stdout.write(`${prefix}[attempt ${e.attempt} ${e.detail ?? 'ended'}]\n`);
}

async function printAll(api: BatonClient, id: string, stage: string, json: boolean, prefix: string): Promise<void> {
  let after: string | undefined;
  for (;;) {
    const page = await api.runs.logs(id, stage, { ...(after ? { after } : {}), limit: 1000 });
    for (const e of page.items) print(e, json, prefix);
    if (page.items.length < 1000) return;
    after = page.nextCursor ?? undefined;
  }
}

/** `baton runs logs <id> [--stage s] [-f]`: a stage's live output (every stage's, without --stage). */
export function registerRunLogs(runs: Command): void {
  runs
    .command('logs <id>')
    .description("a run's stage output (live with -f)")
    .option('--stage <stage>', 'one stage (default: every stage that ran, in order)')
    .option('-f, --follow', 'keep printing as the stage writes, until it ends')
    .action(
      action(async (id: string, opts: { stage?: string; follow?: boolean }, cmd: Command) => {
        const api = client(cmd);
        const json = globals(cmd).json ?? false;
        const run = await api.runs.get(id);
        if (opts.follow) {
          const stage = opts.stage ?? run.stages.find((s) => s.status === 'running' || s.status === 'queued')?.name;
          if (!stage) throw new UsageError('no stage is running; pass --stage');
          for await (const e of api.runs.followLogs(id, stage)) print(e, json, '');
          return;
        }
        const stages = opts.stage ? [opts.stage] : run.stages.filter((s) => s.startedAt !== null).map((s) => s.name);
        for (const s of stages) await printAll(api, id, s, json, opts.stage || json ? '' : `${s} | `);
      }),
    );
}
