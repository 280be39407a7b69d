import { NonRetryableError } from '@baton/runtime';

/**
 * True for a remote git would read from this machine's filesystem: a `file:` URL, an absolute or
 * relative path, or `~`. (`host:path` scp-style and `scheme://` URLs are remote.)
 */
export function isLocalRepository(url: string): boolean {
  if (/^file:/i.test(url)) return true;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return false;
  if (url.startsWith('/') || url.startsWith('.') || url.startsWith('~')) return true;
  // scp-like `user@host:path` / `host:path` is remote; a bare name without a colon is a local path.
  const colon = url.indexOf(':');
  return colon < 0 || url.slice(0, colon).includes('/');
}

/**
 * Refuses a local repository (LOCAL_REPO_REFUSED, not retryable) unless the agent was started with
 * BATON_ALLOW_LOCAL_REPOS=true (the dev stack and tests): a submitter must not make the agent read
 * or push to paths on its host.
 */
export function assertRepositoryAllowed(url: string, allowLocal: boolean): void {
  if (allowLocal || !isLocalRepository(url)) return;
  throw new NonRetryableError('LOCAL_REPO_REFUSED', `repository ${JSON.stringify(url)} is a local path or file: URL; this agent only accepts remote repositories (set BATON_ALLOW_LOCAL_REPOS=true to allow local ones)`, { url });
}
