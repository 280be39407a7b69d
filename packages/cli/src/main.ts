#!/usr/bin/env node
import { Command, Option } from 'commander';
import { EXIT } from './cli-context.js';
import { registerAgents } from './commands/agents.js';
import { registerBackup } from './commands/backup.js';
import { registerKeys } from './commands/keys.js';
import { registerPipelines } from './commands/pipelines.js';
import { registerQueues } from './commands/queues.js';
import { registerRun } from './commands/run.js';
import { registerRuns } from './commands/runs.js';
import { registerUp } from './commands/up.js';
import { registerTriggers } from './commands/triggers.js';
import { registerSchedules } from './commands/schedules.js';

const VERSION = '0.1.0';
// `--version` is the CLI's version only as the first argument: after a command it is that command's
// option (`pipelines show|export <name> --version 3`), which commander's program-wide flag would swallow.
if (process.argv[2] === '--version') {
  process.stdout.write(`${VERSION}\n`);
  process.exit(EXIT.ok);
}
const program = new Command();
program
  .name('baton')
  .description('Operate Baton: the dev stack, runs, agents, queues, pipelines and API keys')
  .version(VERSION, '-V, --cli-version')
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
registerTriggers(program);
registerSchedules(program);
registerBackup(program);

await program.parseAsync(process.argv);
