import Table from 'cli-table3';
import type { Command } from 'commander';
import pc from 'picocolors';
import { action, client, output, UsageError } from '../cli-context.js';

const LIVENESS_COLOR: Record<string, (s: string) => string> = { alive: pc.green, draining: pc.yellow, stale: pc.yellow, deaf: pc.red, wedged: pc.red, dead: pc.red };

export function registerAgents(program: Command): void {
  const agents = program.command('agents').description('the agent fleet: list, drain, restart');

  agents
    .command('ls')
    .description('every agent in the registry with its liveness')
    .action(
      action(async (_opts: unknown, cmd: Command) => {
        const list = await client(cmd).agents.list();
        output(cmd, list, () => {
          const t = new Table({ head: ['id', 'type', 'liveness', 'state', 'busy', 'last beat', 'host/pid', 'version'] });
          for (const a of list.items) {
            const color = LIVENESS_COLOR[a.liveness] ?? ((s: string) => s);
            t.push([a.id, a.type, color(a.liveness), a.state, `${a.active.length}/${a.concurrency}`, `${(a.lastSeenAgoMs / 1000).toFixed(1)} s ago`, `${a.host}/${a.pid}`, a.version]);
          }
          return t.toString();
        });
      }),
    );

  agents
    .command('drain [id]')
    .description('the agent finishes its tasks and exits 0 (its supervisor starts a fresh one); --fleet drains a whole type, one at a time')
    .option('--fleet <type>', 'drain every agent of this type, one at a time')
    .action(
      action(async (id: string | undefined, opts: { fleet?: string }, cmd: Command) => {
        if (opts.fleet) {
          const d = await client(cmd).fleets.drain(opts.fleet);
          output(cmd, d, () => `draining the ${d.type} fleet one agent at a time (${d.baseline} agents); progress: GET /v1/fleets/${d.type}/drain`);
          return;
        }
        if (!id) throw new UsageError('give an agent id, or --fleet <type>');
        const r = await client(cmd).agents.drain(id);
        output(cmd, r, () => `${r.agentId} (${r.type}) asked to drain`);
      }),
    );

  agents
    .command('restart <id>')
    .description('the agent hands its tasks back to the queue and exits at once (code 75)')
    .action(
      action(async (id: string, _opts: unknown, cmd: Command) => {
        const r = await client(cmd).agents.restart(id);
        output(cmd, r, () => `${r.agentId} (${r.type}) asked to restart`);
      }),
    );
}
