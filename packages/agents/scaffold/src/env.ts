import { parseAgentEnv, sdlcAgentConfig, SdlcAgentEnv } from '@baton/agent-kit';
import { resolve } from 'node:path';
import { z } from 'zod';
import { BUILTIN_TEMPLATES_DIR, type ScaffoldConfig } from './config.js';

export const ScaffoldEnv = SdlcAgentEnv.extend({
  /** A template catalogue to use instead of the built-in one. */
  BATON_SCAFFOLD_TEMPLATES_DIR: z.string().optional(),
});

/** The scaffold agent's configuration (the only place it reads process.env). */
export function scaffoldConfigFromEnv(raw: NodeJS.ProcessEnv = process.env): ScaffoldConfig {
  const env = parseAgentEnv(ScaffoldEnv, raw);
  return {
    ...sdlcAgentConfig('scaffold', env, raw),
    templatesDir: env.BATON_SCAFFOLD_TEMPLATES_DIR ? resolve(env.BATON_SCAFFOLD_TEMPLATES_DIR) : BUILTIN_TEMPLATES_DIR,
  };
}
