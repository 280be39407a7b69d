import type { AgentSecrets } from '@baton/agent-kit';
import { ConfigError } from '@baton/platform';
import { SCOPE_SUFFIX, secretScopesFromEnv, SecretScopeConfigError } from '@baton/contracts';

/**
 * The agent's secrets: BATON_SECRET_* values by name and their BATON_SECRET_*_SCOPE scopes (the model
 * API key is referenced by name only, and goes only to a base URL its scope's `urls=` allows).
 */
export function secretsFromEnv(raw: Readonly<Record<string, string | undefined>> = process.env): AgentSecrets {
  const secrets: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (k.startsWith('BATON_SECRET_') && !k.endsWith(SCOPE_SUFFIX) && v !== undefined) secrets[k] = v;
  try {
    return { secrets, secretScopes: secretScopesFromEnv(raw) };
  } catch (e: unknown) {
    if (e instanceof SecretScopeConfigError) throw new ConfigError(e.problems);
    throw e;
  }
}
