import Table from 'cli-table3';
import type { Command } from 'commander';
import pc from 'picocolors';
import { action, client, output } from '../cli-context.js';

export function registerQueues(program: Command): void {
  const queues = program.command('queues').description('agent queues: counts, pause, resume');

  queues
    .command('ls')
    .description('waiting/active/delayed/failed jobs and alive agents per agent type')
    .action(
      action(async (_opts: unknown, cmd: Command) => {
        const list = await client(cmd).queues.list();
        output(cmd, list, () => {
          const t = new Table({ head: ['type', 'state', 'waiting', 'active', 'delayed', 'failed', 'agents'] });
          for (const q of list.items) t.push([q.type, q.paused ? pc.yellow('paused') : 'running', q.waiting, q.active, q.delayed, q.failed, q.agentsAlive]);
          return t.toString();
        });
      }),
    );

  for (const verb of ['pause', 'resume'] as const) {
    queues
      .command(`${verb} <type>`)
      .description(verb === 'pause' ? 'agents stop taking jobs of this type (running ones finish)' : 'agents take jobs of this type again')
      .action(
        action(async (type: string, _opts: unknown, cmd: Command) => {
          const q = await (verb === 'pause' ? client(cmd).queues.pause(type) : client(cmd).queues.resume(type));
          output(cmd, q, () => `${q.type}: ${q.paused ? 'paused' : 'running'} (${q.waiting} waiting)`);
        }),
      );
  }
}
