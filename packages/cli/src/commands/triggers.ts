import Table from 'cli-table3';
import type { Command } from 'commander';
import { action, client, output } from '../cli-context.js';
import { readJsonArg } from './run.js';

/** `baton triggers …`: webhook triggers and their recent deliveries. */
export function registerTriggers(program: Command): void {
  const triggers = program.command('triggers').description('webhook triggers (GitHub, GitLab, generic signed JSON) that start runs');

  triggers
    .command('ls')
    .description('every trigger')
    .action(
      action(async (_opts: unknown, cmd: Command) => {
        const list = await client(cmd).triggers.list();
        output(cmd, list, () => {
          const t = new Table({ head: ['name', 'source', 'pipeline', 'events', 'hook path', 'updated'] });
          for (const x of list.items) t.push([x.name, x.source, x.pipeline, (x.filter.events ?? ['*']).join(','), x.hookPath, x.updatedAt]);
          return t.toString();
        });
      }),
    );

  triggers
    .command('show <name>')
    .description('a trigger and its latest deliveries with their outcomes')
    .action(
      action(async (name: string, _opts: unknown, cmd: Command) => {
        const d = await client(cmd).triggers.get(name);
        output(cmd, d, () => {
          const t = new Table({ head: ['delivery', 'event', 'at', 'outcome', 'run', 'reason'] });
          for (const x of d.deliveries) t.push([x.deliveryId, x.event, x.at, x.outcome, x.runId ?? '', x.reason ?? '']);
          return `${d.name}: ${d.source} → pipeline ${d.pipeline} (POST ${d.hookPath}; secret: ${d.secret.kind === 'env' ? d.secret.env : 'sha256'})\n${t.toString()}`;
        });
      }),
    );

  triggers
    .command('put <name> <definition>')
    .description('create or replace a trigger from JSON (a file, "-" for stdin, or inline)')
    .action(
      action(async (name: string, definition: string, _opts: unknown, cmd: Command) => {
        const t = await client(cmd).triggers.put(name, readJsonArg(definition, 'the trigger definition'));
        output(cmd, t, () => `${t.name}: ${t.source} → pipeline ${t.pipeline}; point the provider at POST ${t.hookPath}`);
      }),
    );

  triggers
    .command('rm <name>')
    .description('delete a trigger')
    .action(
      action(async (name: string, _opts: unknown, cmd: Command) => {
        await client(cmd).triggers.delete(name);
        output(cmd, { deleted: name }, () => `${name} deleted`);
      }),
    );
}
