#!/usr/bin/env node
import { configOrExit } from '@baton/agent-kit';
import { runAgent } from '@baton/runtime';
import { createDeploymentAgent } from './deployment-agent.js';
import { deploymentConfigFromEnv } from './env.js';

await runAgent(createDeploymentAgent(configOrExit(() => deploymentConfigFromEnv())));
