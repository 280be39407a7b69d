#!/usr/bin/env node
import { Command, Option } from 'commander';
import { EXIT } from './cli-context.js';
import { registerAgents } from './commands/agents.js';
import { registerKeys } from './commands/keys.js';
import { registerPipelines } from './commands/pipelines.js';
import { registerQueues } from './commands/queues.js';
import { registerRun } from './commands/run.js';
import { registerRuns } from './commands/runs.js';
import { registerUp } from './commands/up.js';

const program = new Command();
program
  .name('baton')
  .description('Operate Baton: the dev stack, runs, agents, queues, pipelines and API keys')
  .version('0.1.0')
  .option('--url <url>', 'orchestrator URL (env BATON_URL)', process.env.BATON_URL ?? 'http://127.0.0.1:3000')
  // A key on the command line is visible to every user of the host (`ps`): prefer the env var or a file.
  .addOption(new Option('--api-key <key>', 'API key (visible in `ps`: prefer env BATON_API_KEY or --api-key-file)').env('BATON_API_KEY'))
  .option('--api-key-file <path>', 'read the API key from this file (env BATON_API_KEY_FILE)', process.env.BATON_API_KEY_FILE)
  .option('--json', 'machine-readable output')
  .showHelpAfterError()
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
  });

registerUp(program);
registerRun(program);
registerRuns(program);
registerAgents(program);
registerQueues(program);
registerPipelines(program);
registerKeys(program);

await program.parseAsync(process.argv);
