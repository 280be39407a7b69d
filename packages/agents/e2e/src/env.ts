import { existsSync } from 'node:fs';
import { parseAgentEnv, sdlcAgentConfig, SdlcAgentEnv, type SdlcAgentConfig } from '@baton/agent-kit';
import { z } from 'zod';

/** Where a system Chromium usually is (Debian/Ubuntu, Alpine, Chrome). */
export const CHROMIUM_CANDIDATES: readonly string[] = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome'];

export const E2eEnv = SdlcAgentEnv.extend({
  /** The Chromium for browser checks (default: the first of CHROMIUM_CANDIDATES that exists). */
  BATON_CHROMIUM_PATH: z.string().optional(),
  /** Between SIGTERM and SIGKILL when the app under test is stopped. */
  BATON_APP_STOP_GRACE_MS: z.coerce.number().int().min(0).max(60_000).default(3000),
});

export interface E2eConfig extends SdlcAgentConfig {
  /** Paths tried for Chromium, in order; the browser step is skipped when none exists. */
  chromiumCandidates: readonly string[];
  appStopGraceMs: number;
}

/** The first Chromium that exists now (it may be installed or removed while the agent runs). */
export function findChromium(config: E2eConfig): string | null {
  return config.chromiumCandidates.find((p) => existsSync(p)) ?? null;
}

/** The e2e agent's configuration (the only place it reads process.env). */
export function e2eConfigFromEnv(raw: NodeJS.ProcessEnv = process.env): E2eConfig {
  const env = parseAgentEnv(E2eEnv, raw);
  return {
    ...sdlcAgentConfig('e2e', env, raw),
    chromiumCandidates: env.BATON_CHROMIUM_PATH ? [env.BATON_CHROMIUM_PATH] : CHROMIUM_CANDIDATES,
    appStopGraceMs: env.BATON_APP_STOP_GRACE_MS,
  };
}
