import { readFileSync } from 'node:fs';
import type { JsonObject } from '@baton/contracts';
import type { Command } from 'commander';
import { action, client, EXIT, globals, output, UsageError } from '../cli-context.js';
import { followRun } from '../follow.js';
import { stageTable } from '../render.js';

/** `--input` is inline JSON, `-` for stdin, or a file path. */
export function readJsonArg(value: string, what: string): unknown {
  const text = value.trim().startsWith('{') || value.trim().startsWith('[') ? value : readFileSync(value === '-' ? 0 : value, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e: unknown) {
    throw new UsageError(`${what} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function labels(values: string[]): Record<string, string> {
  return Object.fromEntries(
    values.map((kv) => {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new UsageError(`--label wants key=value, got "${kv}"`);
      return [kv.slice(0, eq), kv.slice(eq + 1)];
    }),
  );
}

export function registerRun(program: Command): void {
  program
    .command('run <pipeline>')
    .description('submit a run of a registered pipeline')
    .option('-i, --input <json|file|->', 'run input: inline JSON, a file, or - for stdin')
    .option('-l, --label <key=value>', 'a label (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--pipeline-version <n>', 'pipeline version (default: latest)', (v) => Number(v))
    .option('--idempotency-key <key>', 'submitting again with the same key returns the same run')
    .option('-f, --follow', 'show live progress per stage; exit 0 only if the run succeeds')
    .option('--priority <1-10>', 'run priority, 10 highest (default 5)', (v) => Number(v))
    .option('--deadline <ms>', 'fail the run with RUN_DEADLINE_EXCEEDED if it has not finished after this many ms', (v) => Number(v))
    .action(
      action(async (pipeline: string, opts: { input?: string; label: string[]; pipelineVersion?: number; idempotencyKey?: string; follow?: boolean; priority?: number; deadline?: number }, cmd: Command) => {
        const api = client(cmd);
        const body = {
          pipeline,
          ...(opts.pipelineVersion ? { version: opts.pipelineVersion } : {}),
          input: (opts.input ? readJsonArg(opts.input, '--input') : {}) as JsonObject,
          ...(opts.label.length ? { labels: labels(opts.label) } : {}),
          ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
          ...(opts.deadline !== undefined ? { deadlineMs: opts.deadline } : {}),
        };
        const run = await api.runs.submit(body, opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {});
        if (!opts.follow) {
          output(cmd, run, () => `${run.id} ${run.status}`);
          return EXIT.ok;
        }
        if (!globals(cmd).json) process.stderr.write(`run ${run.id} submitted; following it\n`);
        const done = await followRun(api, run.id, { json: globals(cmd).json ?? false });
        if (globals(cmd).json) output(cmd, done, () => stageTable(done));
        return done.status === 'succeeded' ? EXIT.ok : EXIT.failed;
      }),
    );
}
