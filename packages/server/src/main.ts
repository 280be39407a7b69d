#!/usr/bin/env node
import { AGENT_ENTRYPOINTS, ENTRYPOINTS } from './entrypoints.js';

const USAGE = `usage: baton-server orchestrator
       baton-server agent <${Object.keys(AGENT_ENTRYPOINTS).join('|')}>
       baton-server cli <baton arguments...>`;

const [command, ...rest] = process.argv.slice(2);
let entry: string | undefined;
if (command === 'orchestrator') entry = ENTRYPOINTS.orchestrator;
else if (command === 'agent') entry = AGENT_ENTRYPOINTS[rest[0] ?? ''];
else if (command === 'cli') {
  entry = ENTRYPOINTS.cli;
  process.argv = [process.argv[0]!, 'baton', ...rest];
}
if (!entry) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
await import(entry);
