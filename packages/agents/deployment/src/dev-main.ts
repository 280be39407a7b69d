#!/usr/bin/env node
/**
 * The deployment agent as the dev stack (`baton up`) runs it: the production agent, except that
 * the services it deployed stop with it — its PM2 daemon is killed when the process exits — so a
 * stopped dev stack leaves nothing running. In production, services outlive agent restarts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { configOrExit } from '@baton/agent-kit';
import { runAgent } from '@baton/runtime';
import { createDeploymentAgent } from './deployment-agent.js';
import { deploymentConfigFromEnv } from './env.js';
import { Pm2Client } from './pm2-client.js';

const config = configOrExit(() => deploymentConfigFromEnv());
process.once('exit', () => {
  if (existsSync(join(config.pm2Home, 'pm2.pid'))) Pm2Client.killDaemonSync(config.pm2Home, config.childEnv);
});
await runAgent(createDeploymentAgent(config));
