#!/usr/bin/env node
import { configOrExit } from '@baton/agent-kit';
import { runAgent } from '@baton/runtime';
import { validationConfigFromEnv } from './env.js';
import { createValidationAgent } from './validation-agent.js';

await runAgent(createValidationAgent(configOrExit(() => validationConfigFromEnv())));
