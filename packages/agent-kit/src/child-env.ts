/**
 * Variables a project's commands may see from the agent's environment. Everything else (Redis
 * credentials, BATON_SECRET_*, tokens, NODE_OPTIONS, npm_config_* of the agent) stays out.
 */
export const DEFAULT_ENV_ALLOWLIST: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'TERM',
  'CI',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
];

/** The allowlisted subset of `source` (the agent's environment, as its env.ts read it). */
export function pickEnv(source: Readonly<Record<string, string | undefined>>, allow: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of allow) {
    const v = source[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** npm settings for installs: a shared cache, offline first, no audit/fund/update chatter. */
export function npmEnv(cacheDir: string): Record<string, string> {
  return {
    npm_config_cache: cacheDir,
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_progress: 'false',
    npm_config_loglevel: 'warn',
  };
}
