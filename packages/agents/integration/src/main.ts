#!/usr/bin/env node
import { configOrExit } from '@baton/agent-kit';
import { runAgent } from '@baton/runtime';
import { integrationConfigFromEnv } from './env.js';
import { createIntegrationAgent } from './integration-agent.js';

await runAgent(createIntegrationAgent(configOrExit(() => integrationConfigFromEnv())));
