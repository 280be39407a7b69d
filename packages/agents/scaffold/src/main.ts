#!/usr/bin/env node
import { configOrExit } from '@baton/agent-kit';
import { runAgent } from '@baton/runtime';
import { scaffoldConfigFromEnv } from './env.js';
import { createScaffoldAgent } from './scaffold-agent.js';

await runAgent(createScaffoldAgent(configOrExit(() => scaffoldConfigFromEnv())));
