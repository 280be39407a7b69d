#!/usr/bin/env node
import { configOrExit } from '@baton/agent-kit';
import { runAgent } from '@baton/runtime';
import { secretsFromEnv } from './env.js';
import { llmAgent } from './llm-agent.js';

await runAgent(llmAgent(configOrExit(() => secretsFromEnv())));
