#!/usr/bin/env node
import { configOrExit } from '@baton/agent-kit';
import { runAgent } from '@baton/runtime';
import { createE2eAgent } from './e2e-agent.js';
import { e2eConfigFromEnv } from './env.js';

await runAgent(createE2eAgent(configOrExit(() => e2eConfigFromEnv())));
