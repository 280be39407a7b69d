import Table from 'cli-table3';
import type { Command } from 'commander';
import { action, client, output } from '../cli-context.js';
import { readJsonArg } from './run.js';

/** `baton schedules …`: cron schedules that start runs. */
export function registerSchedules(program: Command): void {
  const schedules = program.command('schedules').description('cron schedules that start runs');

  schedules
    .command('ls')
    .description('every schedule with its last tick and next fire time')
    .action(
      action(async (_opts: unknown, cmd: Command) => {
        const list = await client(cmd).schedules.list();
        output(cmd, list, () => {
          const t = new Table({ head: ['name', 'cron', 'tz', 'pipeline', 'state', 'last tick', 'last outcome', 'last run', 'next'] });
          for (const s of list.items) t.push([s.name, s.cron, s.timezone, s.pipeline, s.paused ? 'paused' : 'active', s.lastTick ?? '', s.lastOutcome ?? '', s.lastRunId ?? '', s.next[0] ?? '']);
          return t.toString();
        });
      }),
    );

  schedules
    .command('show <name>')
    .action(
      action(async (name: string, _opts: unknown, cmd: Command) => {
        const s = await client(cmd).schedules.get(name);
        output(cmd, s, () => JSON.stringify(s, null, 2));
      }),
    );

  schedules
    .command('put <name> <definition>')
    .description('create or replace a schedule from JSON (a file, "-" for stdin, or inline), e.g. {"cron":"0 3 * * *","timezone":"Europe/Berlin","pipeline":"nightly"}')
    .action(
      action(async (name: string, definition: string, _opts: unknown, cmd: Command) => {
        const s = await client(cmd).schedules.put(name, readJsonArg(definition, 'the schedule definition'));
        output(cmd, s, () => `${s.name}: ${s.cron} (${s.timezone}) → ${s.pipeline}; next ${s.next[0] ?? '(paused)'}`);
      }),
    );

  for (const verb of ['pause', 'resume'] as const) {
    schedules
      .command(`${verb} <name>`)
      .description(verb === 'pause' ? 'stop firing until resumed' : 'fire again (ticks passed while paused are not caught up)')
      .action(
        action(async (name: string, _opts: unknown, cmd: Command) => {
          const s = await client(cmd).schedules[verb](name);
          output(cmd, s, () => `${s.name} ${s.paused ? 'paused' : `active; next ${s.next[0] ?? ''}`}`);
        }),
      );
  }

  schedules
    .command('rm <name>')
    .description('delete a schedule (its runs are kept)')
    .action(
      action(async (name: string, _opts: unknown, cmd: Command) => {
        await client(cmd).schedules.delete(name);
        output(cmd, { deleted: name }, () => `${name} deleted`);
      }),
    );
}
