import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, parseAgentEnv, pickEnv, sdlcAgentConfig, SdlcAgentEnv, type SdlcAgentConfig } from '@baton/agent-kit';
import { z } from 'zod';

export const DeploymentEnv = SdlcAgentEnv.extend({
  /** Where the local target keeps each app's releases (default <BATON_DATA_DIR>/releases). */
  BATON_RELEASES_DIR: z.string().optional(),
  /** PM2's home for deployed services (default <BATON_DATA_DIR>/pm2): its own daemon, separate from any PM2 that runs Baton itself. */
  BATON_PM2_HOME: z.string().optional(),
  /** Address services listen on (HOST) and the host of their URL. */
  BATON_DEPLOY_BIND_HOST: z.string().default('127.0.0.1'),
  BATON_DEPLOY_PUBLIC_HOST: z.string().default('127.0.0.1'),
  BATON_DOCKER_BIN: z.string().default('docker'),
});

export interface DeploymentConfig extends SdlcAgentConfig {
  releasesDir: string;
  pm2Home: string;
  bindHost: string;
  publicHost: string;
  dockerBin: string;
  /** Docker client settings passed to the docker CLI only. */
  dockerEnv: Record<string, string>;
}

const DOCKER_VARS = ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_CONFIG', 'DOCKER_CERT_PATH', 'DOCKER_TLS_VERIFY'];

/** Unix socket paths are limited to ~107 bytes; PM2 keeps rpc.sock and pub.sock in its home. */
const MAX_PM2_HOME = 96;

/**
 * PM2's home: BATON_PM2_HOME, else <data>/pm2 — or, when that is too deep for PM2's sockets, a
 * short directory under the system temp dir derived from it (stable for the same data dir).
 */
function pm2HomeFrom(explicit: string | undefined, dataDir: string): string {
  if (explicit) {
    const home = resolve(explicit);
    if (home.length > MAX_PM2_HOME) throw new ConfigError([`BATON_PM2_HOME: "${home}" is too long for PM2's unix sockets (at most ${MAX_PM2_HOME} characters)`]);
    return home;
  }
  const home = join(dataDir, 'pm2');
  if (home.length <= MAX_PM2_HOME) return home;
  return join(tmpdir(), `baton-pm2-${createHash('sha256').update(home).digest('hex').slice(0, 16)}`);
}

/** The deployment agent's configuration (the only place it reads process.env). */
export function deploymentConfigFromEnv(raw: NodeJS.ProcessEnv = process.env): DeploymentConfig {
  const env = parseAgentEnv(DeploymentEnv, raw);
  const base = sdlcAgentConfig('deployment', env, raw);
  return {
    ...base,
    releasesDir: resolve(env.BATON_RELEASES_DIR ?? join(base.dataDir, 'releases')),
    pm2Home: pm2HomeFrom(env.BATON_PM2_HOME, base.dataDir),
    bindHost: env.BATON_DEPLOY_BIND_HOST,
    publicHost: env.BATON_DEPLOY_PUBLIC_HOST,
    dockerBin: env.BATON_DOCKER_BIN,
    dockerEnv: pickEnv(raw, DOCKER_VARS),
  };
}
