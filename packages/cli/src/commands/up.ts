import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';
import { BatonClient } from '@baton/client';
import { followRun } from '../follow.js';
import { demoRun } from '../stack/demo-run.js';
import { DEV_AGENTS } from '../stack/dev-agents.js';
import { DevStack, DevStackError } from '../stack/dev-stack.js';

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start the embedded dev stack: Redis (unless REDIS_URL is set), the orchestrator and one process per agent type')
    .option('--demo', 'submit the demo pipeline and show its progress')
    .option('--exit', 'with --demo: stop the stack when the demo run ends (exit code 0 if it succeeded)')
    .option('--port <port>', 'orchestrator port (a free one is used if taken)', (v) => Number(v), Number(process.env.BATON_PORT ?? 3000))
    .option('--data-dir <dir>', 'where Redis data and logs go', '.baton')
    .action(async (opts: { demo?: boolean; exit?: boolean; port: number; dataDir: string }) => {
      const say = (msg: string) => process.stdout.write(`${pc.dim('[baton]')} ${msg}\n`);
      const dataDir = resolve(opts.dataDir);
      const topology = process.env.REDIS_CLUSTER_NODES ? `cluster ${process.env.REDIS_CLUSTER_NODES}` : process.env.REDIS_SENTINELS ? `sentinel ${process.env.REDIS_SENTINEL_NAME ?? ''}@${process.env.REDIS_SENTINELS}` : undefined;
      const redis = process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : topology ? { redisFromEnv: topology } : {};
      const stack = new DevStack({ dataDir, port: opts.port, ...redis, say });
      let stopping = false;
      const shutdown = async (code: number) => {
        if (stopping) return;
        stopping = true;
        say('stopping the stack…');
        await stack.stop();
        process.exit(code);
      };
      process.on('SIGINT', () => void shutdown(0));
      process.on('SIGTERM', () => void shutdown(0));

      try {
        say('starting…');
        await stack.start();
      } catch (e: unknown) {
        process.stderr.write(`${e instanceof DevStackError ? e.message : String(e)}\n`);
        await stack.stop();
        process.exit(1);
      }
      const shown = relative(process.cwd(), dataDir);
      const rel = shown === '' ? '.' : shown.startsWith('..') ? dataDir : shown;
      say(pc.bold('Baton dev stack is up'));
      say(`  redis         ${stack.redisUrl}${stack.embeddedRedis ? ` (embedded, AOF in ${rel}/data/redis)` : ` (${topology ? 'REDIS_CLUSTER_NODES / REDIS_SENTINELS' : 'REDIS_URL'})`}`);
      say(`  orchestrator  ${stack.url}   API docs: ${stack.url}/docs`);
      say(`  dashboard     ${stack.url}/ui/`);
      say(`  agents        ${DEV_AGENTS.map((a) => a.type).join(', ')}`);
      say(`  logs          ${rel}/logs/`);

      if (opts.demo) {
        const client = new BatonClient({ baseUrl: stack.url });
        const demo = demoRun(dataDir);
        const run = await client.runs.submit(demo);
        say(`demo run ${pc.bold(run.id)} submitted (pipeline "${demo.pipeline}": scaffold → validation → e2e → integration → deployment); following it:`);
        say(`  watch it in the dashboard: ${stack.url}/ui/runs/${run.id}`);
        const done = await followRun(client, run.id);
        say(`demo run ${done.status === 'succeeded' ? pc.green('succeeded') : pc.red(done.status)}; see it with: curl ${stack.url}/v1/runs/${run.id}`);
        const deployed = done.stages.find((s) => s.name === 'deployment')?.output as { url?: string } | null | undefined;
        if (deployed?.url) say(`${demo.input.name} is deployed at ${deployed.url}/health (it stops with the stack)`);
        if (opts.exit) return shutdown(done.status === 'succeeded' ? 0 : 1);
      }
      say('Press Ctrl-C to stop.');
    });
}
