import { NonRetryableError } from '@baton/runtime';
import type { GitCredential } from './git.js';

/** The value of a BATON_SECRET_* variable the agent was started with. */
export function resolveSecret(name: string, secrets: Readonly<Record<string, string>>): string {
  const v = secrets[name];
  if (v === undefined || v === '') throw new NonRetryableError('SECRET_NOT_SET', `the agent has no ${name} environment variable`, { secret: name });
  return v;
}

/** Credentials for a repository that names a secret (`credentialRef`), else undefined. */
export function gitCredential(ref: { credentialRef?: string | null | undefined; username?: string | null | undefined }, secrets: Readonly<Record<string, string>>): GitCredential | undefined {
  if (!ref.credentialRef) return undefined;
  return { username: ref.username ?? 'git', password: resolveSecret(ref.credentialRef, secrets) };
}
