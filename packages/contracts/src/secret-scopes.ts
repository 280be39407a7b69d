import { ROLES, roleAtLeast, type Role } from './auth.js';

/**
 * Where a secret may go and who may use it. Every `BATON_SECRET_<NAME>` is declared with a
 * `BATON_SECRET_<NAME>_SCOPE` variable, on the orchestrator (checked at submit) and on the agents
 * (checked again before the secret is used):
 *
 *     BATON_SECRET_GIT_TOKEN_SCOPE="urls=https://github.com/acme/,https://git.example.com/team/;role=submitter;keys=3f2a9c1b0d4e"
 *     BATON_SECRET_DB_PASSWORD_SCOPE="apps=payments,billing;role=operator"
 *
 * - `urls=`  http(s) URL prefixes a git credential may be sent to: same scheme, host and port, and
 *            the repository path under the prefix's path (segment by segment; no `..` tricks).
 * - `apps=`  deployment apps whose `secretEnv` may read it (`*`: any app).
 * - `role=`  the lowest role whose keys may reference it (`submitter` includes operator and admin).
 * - `keys=`  key ids that may reference it whatever their role.
 *
 * A secret without a scope is never sent anywhere (SECRET_SCOPE_DENIED): the safe default.
 */
export interface SecretScope {
  urls: URL[];
  apps: string[] | '*';
  role: Role | null;
  keys: string[];
}

export type SecretScopes = ReadonlyMap<string, SecretScope>;

/** How a secret is about to be used. */
export type SecretUse = { kind: 'git'; url: string | null } | { kind: 'env'; app: string | null };

/** Who references it (null: the caller is unknown — only `keys=`/`role=` matches can pass, so nothing does). */
export interface SecretUser {
  keyId: string | null;
  role: Role;
}

export const SCOPE_SUFFIX = '_SCOPE';

const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

/** Parses one `_SCOPE` value; throws with the reason when it is malformed. */
export function parseSecretScope(name: string, raw: string): SecretScope {
  const scope: SecretScope = { urls: [], apps: [], role: null, keys: [] };
  for (const part of raw.split(';').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const field = eq < 0 ? part : part.slice(0, eq).trim();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (field === 'urls') {
      for (const u of list(value)) {
        let url: URL;
        try {
          url = new URL(u);
        } catch {
          throw new Error(`${name}${SCOPE_SUFFIX}: "${u}" is not an absolute URL`);
        }
        if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${name}${SCOPE_SUFFIX}: "${u}" must be an http(s) URL`);
        if (url.username || url.password || url.search || url.hash) throw new Error(`${name}${SCOPE_SUFFIX}: "${u}" must not carry credentials, a query or a fragment`);
        scope.urls.push(url);
      }
    } else if (field === 'apps') {
      scope.apps = value === '*' ? '*' : list(value);
    } else if (field === 'role') {
      if (!(ROLES as readonly string[]).includes(value)) throw new Error(`${name}${SCOPE_SUFFIX}: role must be one of ${ROLES.join(', ')}`);
      scope.role = value as Role;
    } else if (field === 'keys') {
      scope.keys = list(value);
    } else {
      throw new Error(`${name}${SCOPE_SUFFIX}: unknown field "${field}" (use urls=, apps=, role=, keys=)`);
    }
  }
  if (scope.urls.length === 0 && (scope.apps === '*' ? false : scope.apps.length === 0)) throw new Error(`${name}${SCOPE_SUFFIX}: say where it may go (urls= and/or apps=)`);
  if (scope.role === null && scope.keys.length === 0) throw new Error(`${name}${SCOPE_SUFFIX}: say who may use it (role= and/or keys=)`);
  return scope;
}

/** Every `BATON_SECRET_*_SCOPE` of an environment, by secret name; throws listing every malformed one. */
export function secretScopesFromEnv(raw: Readonly<Record<string, string | undefined>>): Map<string, SecretScope> {
  const scopes = new Map<string, SecretScope>();
  const problems: string[] = [];
  for (const [k, v] of Object.entries(raw)) {
    if (!k.startsWith('BATON_SECRET_') || !k.endsWith(SCOPE_SUFFIX) || v === undefined) continue;
    const name = k.slice(0, -SCOPE_SUFFIX.length);
    try {
      scopes.set(name, parseSecretScope(name, v));
    } catch (e: unknown) {
      problems.push(e instanceof Error ? e.message : String(e));
    }
  }
  if (problems.length > 0) throw new SecretScopeConfigError(problems);
  return scopes;
}

export class SecretScopeConfigError extends Error {
  override readonly name = 'SecretScopeConfigError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** Path segments after WHATWG normalisation (dot segments resolved, so `/acme/../evil` is `/evil`). */
const segments = (u: URL) => u.pathname.split('/').filter(Boolean);

/** True when `target` is under `prefix`: same scheme, host and port, and the prefix's path segments first. */
export function urlUnderPrefix(target: string, prefix: URL): boolean {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return false; // scp-like `git@host:path` or a local path: never a place for an http credential
  }
  if (url.protocol !== prefix.protocol || url.host !== prefix.host) return false;
  if (/%2e|%2f|%5c/i.test(url.pathname)) return false;
  const want = segments(prefix);
  const got = segments(url);
  if (got.length < want.length) return false;
  return want.every((s, i) => s === got[i]);
}

/**
 * Why `name` may not be used this way (a sentence naming the secret), or null when it may.
 * `user` undefined: the caller cannot tell who submitted (an agent); only the destination is checked.
 */
export function secretUseDenied(scopes: SecretScopes, name: string, use: SecretUse, user?: SecretUser | null): string | null {
  const scope = scopes.get(name);
  if (!scope) return `${name} has no scope (${name}${SCOPE_SUFFIX} is not set), so it is sent nowhere`;
  if (user !== undefined) {
    const byKey = user !== null && user.keyId !== null && scope.keys.includes(user.keyId);
    const byRole = user !== null && scope.role !== null && roleAtLeast(user.role, scope.role);
    if (!byKey && !byRole) return `${name} may not be used by ${user?.keyId ? `key ${user.keyId}` : 'this caller'}${user ? ` (role ${user.role})` : ''}`;
  }
  if (use.kind === 'git') {
    if (use.url === null) return null; // not known yet (comes from an upstream stage); the agent checks it
    if (!scope.urls.some((p) => urlUnderPrefix(use.url!, p))) return `${name} may not be sent to ${safeUrl(use.url)} (allowed: ${scope.urls.map((u) => u.href).join(', ') || 'no URLs'})`;
    return null;
  }
  if (use.app === null) return null;
  if (scope.apps !== '*' && !scope.apps.includes(use.app)) return `${name} may not be given to app "${use.app}" (allowed: ${scope.apps.join(', ') || 'no apps'})`;
  return null;
}

/** A URL for a message: no user-info. */
function safeUrl(u: string): string {
  try {
    const url = new URL(u);
    url.username = '';
    url.password = '';
    return url.href;
  } catch {
    return u.slice(0, 200);
  }
}
