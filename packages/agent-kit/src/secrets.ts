import { secretUseDenied, type SecretScopes, type SecretUse } from '@baton/contracts';
import { NonRetryableError } from '@baton/runtime';
import type { GitCredential } from './git.js';

/** What the agent knows about its secrets: their values and the scope each is declared with. */
export interface AgentSecrets {
  secrets: Readonly<Record<string, string>>;
  secretScopes: SecretScopes;
}

/**
 * The value of a BATON_SECRET_* variable the agent was started with, for one use. The scope is
 * checked again here (the orchestrator checked it at submit): a secret goes only where its
 * BATON_SECRET_*_SCOPE says, whatever the payload asks; an unscoped secret goes nowhere.
 */
export function resolveSecret(name: string, use: SecretUse, config: AgentSecrets): string {
  const why = secretUseDenied(config.secretScopes, name, use);
  if (why) throw new NonRetryableError('SECRET_SCOPE_DENIED', why, { secret: name });
  const v = config.secrets[name];
  if (v === undefined || v === '') throw new NonRetryableError('SECRET_NOT_SET', `the agent has no ${name} environment variable`, { secret: name });
  return v;
}

/** Credentials for a repository that names a secret (`credentialRef`), else undefined. */
export function gitCredential(ref: { url: string; credentialRef?: string | null | undefined; username?: string | null | undefined }, config: AgentSecrets): GitCredential | undefined {
  if (!ref.credentialRef) return undefined;
  return { username: ref.username ?? 'git', password: resolveSecret(ref.credentialRef, { kind: 'git', url: ref.url }, config) };
}
