import { parseAgentEnv, sdlcAgentConfig, SdlcAgentEnv, type SdlcAgentConfig } from '@baton/agent-kit';

export type IntegrationConfig = SdlcAgentConfig;

/** The integration agent's configuration (the only place it reads process.env). */
export function integrationConfigFromEnv(raw: NodeJS.ProcessEnv = process.env): IntegrationConfig {
  return sdlcAgentConfig('integration', parseAgentEnv(SdlcAgentEnv, raw), raw);
}
