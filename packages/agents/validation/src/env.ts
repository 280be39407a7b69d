import { parseAgentEnv, sdlcAgentConfig, SdlcAgentEnv, type SdlcAgentConfig } from '@baton/agent-kit';

export type ValidationConfig = SdlcAgentConfig;

/** The validation agent's configuration (the only place it reads process.env). */
export function validationConfigFromEnv(raw: NodeJS.ProcessEnv = process.env): ValidationConfig {
  return sdlcAgentConfig('validation', parseAgentEnv(SdlcAgentEnv, raw), raw);
}
