import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { SCOPE_SUFFIX, secretScopesFromEnv, SecretScopeConfigError, type SecretScopes } from '@baton/contracts';
import { ConfigError, EXIT_CONFIG, parseEnv } from '@baton/platform';

export { ConfigError } from '@baton/platform';
import { z } from 'zod';
import { DEFAULT_ENV_ALLOWLIST, pickEnv } from './child-env.js';
import type { GitIdentity } from './git.js';
import type { NodeVersionPolicy } from './node-version.js';
import { ProcessRegistry } from './process-registry.js';
import { resolveSandbox, type Sandbox } from './sandbox.js';

const bool = (def: 'true' | 'false') => z.enum(['true', 'false']).default(def).transform((v) => v === 'true');
const int = (def: number, min: number) => z.coerce.number().int().min(min).default(def);

/** Environment every SDLC agent reads (each agent's env.ts extends it). */
export const SdlcAgentEnv = z.object({
  /** The npm cache goes to <dir>/npm-cache, package managers and their caches to <dir>/cache. */
  BATON_DATA_DIR: z.string().default('.baton/data'),
  /** Scratch workspaces (default: under the OS temp dir, outside any project). */
  BATON_WORK_DIR: z.string().optional(),
  /** Package managers the agents install (tools/, shims/), the pnpm store and yarn caches. */
  BATON_CACHE_DIR: z.string().optional(),
  /** A project whose engines.node / .nvmrc / .node-version the agent's Node does not meet: warn, fail the stage, or do not check. */
  BATON_NODE_VERSION_CHECK: z.enum(['warn', 'fail', 'off']).default('warn'),
  /** Keep a failed stage's workspace for debugging (its path is logged). */
  BATON_KEEP_FAILED_WORKSPACES: bool('false'),
  BATON_NPM_CACHE_DIR: z.string().optional(),
  /** Extra variable names (comma-separated) passed on to project commands besides the default allowlist. */
  BATON_CHILD_ENV_ALLOW: z.string().default(''),
  /** Output kept per command (beginning and end). */
  BATON_STEP_OUTPUT_MAX_BYTES: int(1024 * 1024, 1024),
  BATON_GIT_TIMEOUT_MS: int(120_000, 1000),
  BATON_GIT_AUTHOR_NAME: z.string().min(1).default('Baton'),
  BATON_GIT_AUTHOR_EMAIL: z.string().min(3).default('baton@localhost'),
  /** How project commands are isolated: auto (bubblewrap, else setpriv), bwrap, setpriv, or off (no isolation: a loud warning). */
  BATON_SANDBOX: z.enum(['auto', 'bwrap', 'setpriv', 'off']).default('auto'),
  /** The unprivileged user of the setpriv fallback (the agent must run as root). */
  BATON_SANDBOX_USER: z.string().min(1).default('nobody'),
  /** Accept local paths and file: URLs as repositories (the dev stack and tests); off in production. */
  BATON_ALLOW_LOCAL_REPOS: bool('false'),
});
export type SdlcAgentEnv = z.infer<typeof SdlcAgentEnv>;

/** What every SDLC agent needs from its environment, resolved. */
export interface SdlcAgentConfig {
  /** This agent type's workspace root. */
  workRoot: string;
  keepFailedWorkspaces: boolean;
  npmCacheDir: string;
  /** Package managers (tools/), their shims, the pnpm store and yarn caches. */
  cacheDir: string;
  nodeVersionPolicy: NodeVersionPolicy;
  dataDir: string;
  /** The base environment of project commands: only allowlisted variables of the agent's own. */
  childEnv: Record<string, string>;
  /** BATON_SECRET_* variables, by name (referenced from payloads by name only). */
  secrets: Record<string, string>;
  /** BATON_SECRET_*_SCOPE: where each secret may go (an unscoped secret is used nowhere). */
  secretScopes: SecretScopes;
  maxOutputBytes: number;
  gitTimeoutMs: number;
  gitIdentity: GitIdentity;
  /** Process groups this agent type's processes started on this host (reaped when their agent died). */
  processes: ProcessRegistry;
  /** Where project commands run (chosen once at start-up). */
  sandbox: Sandbox;
  /** BATON_ALLOW_LOCAL_REPOS: local paths and file: URLs are accepted as repositories. */
  allowLocalRepos: boolean;
}

const abs = (p: string) => (isAbsolute(p) ? p : resolve(p));

/**
 * The default work root: under the OS temp dir, never inside the Baton checkout or any other
 * project (whose package.json, pnpm-workspace.yaml or lint config a project's tools would find by
 * looking upwards), one per data dir so separate stacks stay apart.
 */
export function defaultWorkDir(dataDir: string): string {
  return join(tmpdir(), `baton-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`, 'work');
}

/** Builds the shared configuration; `raw` is the process environment the agent's env.ts was given. */
export function sdlcAgentConfig(agent: string, env: SdlcAgentEnv, raw: Readonly<Record<string, string | undefined>>): SdlcAgentConfig {
  const dataDir = abs(env.BATON_DATA_DIR);
  const extra = env.BATON_CHILD_ENV_ALLOW.split(',').map((s) => s.trim()).filter((s) => s && !s.startsWith('BATON_SECRET_'));
  const secrets: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (k.startsWith('BATON_SECRET_') && !k.endsWith(SCOPE_SUFFIX) && v !== undefined) secrets[k] = v;
  let secretScopes: SecretScopes;
  try {
    secretScopes = secretScopesFromEnv(raw);
  } catch (e: unknown) {
    if (e instanceof SecretScopeConfigError) throw new ConfigError(e.problems);
    throw e;
  }
  const workRoot = join(abs(env.BATON_WORK_DIR ?? defaultWorkDir(dataDir)), agent);
  return {
    workRoot,
    keepFailedWorkspaces: env.BATON_KEEP_FAILED_WORKSPACES,
    npmCacheDir: abs(env.BATON_NPM_CACHE_DIR ?? join(dataDir, 'npm-cache')),
    cacheDir: abs(env.BATON_CACHE_DIR ?? join(dataDir, 'cache')),
    nodeVersionPolicy: env.BATON_NODE_VERSION_CHECK,
    dataDir,
    childEnv: pickEnv(raw, [...DEFAULT_ENV_ALLOWLIST, ...extra]),
    secrets,
    secretScopes,
    maxOutputBytes: env.BATON_STEP_OUTPUT_MAX_BYTES,
    gitTimeoutMs: env.BATON_GIT_TIMEOUT_MS,
    gitIdentity: { name: env.BATON_GIT_AUTHOR_NAME, email: env.BATON_GIT_AUTHOR_EMAIL },
    processes: new ProcessRegistry(join(workRoot, '.processes')),
    sandbox: resolveSandbox(env.BATON_SANDBOX, env.BATON_SANDBOX_USER),
    allowLocalRepos: env.BATON_ALLOW_LOCAL_REPOS,
  };
}

/** Parses an agent's env schema (listing every problem). */
export function parseAgentEnv<S extends z.ZodType>(schema: S, raw: NodeJS.ProcessEnv): z.infer<S> {
  return parseEnv(schema, raw);
}

/** For main.ts: the agent's configuration, or exit 78 with every problem listed. */
export function configOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (e: unknown) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`${e.message}\n`);
    process.exit(EXIT_CONFIG);
  }
}
