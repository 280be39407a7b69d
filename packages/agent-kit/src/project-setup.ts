import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { NonRetryableError } from '@baton/runtime';
import type { SdlcAgentConfig } from './agent-env.js';
import type { PackageJson } from './node-project.js';
import { checkNodeVersion } from './node-version.js';
import { describePackageManager, detectPackageManager, type PackageManager } from './package-manager.js';
import { packageManagerShims } from './package-manager-tools.js';
import type { StepContext } from './step.js';

/** How a checkout's commands run: its package manager, and what every command's environment gets for it. */
export interface ProjectSetup {
  pm: PackageManager;
  /** `pnpm@9.15.9 (packageManager)`. */
  description: string;
  /** The shim directory first on the PATH (`node`, `npm`, the chosen manager). */
  shimDir: string;
  /** Added to every project command's environment: PATH, caches, the workspace boundary. */
  env: Record<string, string>;
  /** Directories outside the checkout the commands read (tools) or write (caches): the sandbox must let them. */
  toolDirs: string[];
  cacheDirs: string[];
  warnings: string[];
}

const MARKERS = ['package.json', 'pnpm-workspace.yaml', 'yarn.lock', 'package-lock.json', 'lerna.json', 'nx.json', 'turbo.json'];

/** The nearest directory above `dir` that looks like a JavaScript project (its package manager or tools could pick it up), or null. */
export function projectAbove(dir: string): string | null {
  for (let d = dirname(dir); d !== dirname(d); d = dirname(d)) {
    const marker = MARKERS.find((m) => existsSync(join(d, m)));
    if (marker) return join(d, marker);
  }
  return null;
}

/** Cache and boundary settings for each manager (pnpm, yarn and Corepack read these from the environment). */
function managerEnv(pm: PackageManager, config: SdlcAgentConfig, projectDir: string): Record<string, string> {
  const env: Record<string, string> = {
    // pnpm: the checkout is its own workspace root, whatever pnpm-workspace.yaml lies above it.
    NPM_CONFIG_WORKSPACE_DIR: projectDir,
    npm_config_store_dir: join(config.cacheDir, 'pnpm-store'),
    // The shim runs the exact version already: no self-switch (a download, a signature check).
    npm_config_manage_package_manager_versions: 'false',
    npm_config_package_manager_strict: 'false',
    npm_config_package_manager_strict_version: 'false',
    COREPACK_ENABLE_STRICT: '0',
    COREPACK_ENABLE_DOWNLOAD_PROMPT: '0',
  };
  if (pm.name === 'yarn' && pm.berry) {
    Object.assign(env, { YARN_GLOBAL_FOLDER: join(config.cacheDir, 'yarn-berry'), YARN_ENABLE_GLOBAL_CACHE: 'true', YARN_ENABLE_TELEMETRY: '0', YARN_ENABLE_PROGRESS_BARS: 'false' });
  } else if (pm.name === 'yarn') {
    env.YARN_CACHE_FOLDER = join(config.cacheDir, 'yarn-classic');
  }
  return env;
}

/**
 * Prepares a checkout for its commands: chooses its package manager (`detectPackageManager`),
 * installs that exact version when needed and puts it on the PATH through a shim directory, points
 * the managers' caches at the agent's, stops them from walking up out of the checkout, and checks
 * the Node version the project asks for. Returns the step context every later command uses.
 * Throws NODE_VERSION_MISMATCH when the Node check fails and the policy is `fail`.
 */
export async function prepareProject(config: SdlcAgentConfig, sctx: StepContext, pkg: PackageJson | null, opts: { timeoutMs: number }): Promise<StepContext> {
  const warnings: string[] = [];
  const pm = await detectPackageManager(sctx.cwd, pkg);
  warnings.push(...pm.notes);
  if (config.nodeVersionPolicy !== 'off') {
    const node = await checkNodeVersion(sctx.cwd, pkg);
    if (node.problems.length && config.nodeVersionPolicy === 'fail') {
      throw new NonRetryableError('NODE_VERSION_MISMATCH', node.problems.join('; '), { problems: node.problems, requirements: node.requirements });
    }
    warnings.push(...node.problems);
  }
  const above = projectAbove(sctx.cwd);
  if (above) warnings.push(`the checkout lies inside another project (${above}); tools that look upwards may use it — set BATON_WORK_DIR outside any project`);

  const toolsDir = join(config.cacheDir, 'tools');
  const shimDir = await packageManagerShims(pm, {
    toolsDir,
    npmCacheDir: config.npmCacheDir,
    env: config.childEnv,
    timeoutMs: opts.timeoutMs,
    signal: sctx.signal,
    registry: config.processes,
  });
  // yarn berry treats the nearest directory with a yarn.lock as the project: an empty one makes the checkout its own.
  if (pm.name === 'yarn' && pm.berry && !pm.lockfile) await writeFile(join(sctx.cwd, 'yarn.lock'), '');
  const env = { ...managerEnv(pm, config, sctx.cwd), PATH: [shimDir, sctx.env.PATH].filter(Boolean).join(':') };
  const setup: ProjectSetup = {
    pm,
    description: describePackageManager(pm),
    shimDir,
    env,
    toolDirs: [toolsDir],
    cacheDirs: [config.npmCacheDir, config.cacheDir],
    warnings,
  };
  for (const w of warnings) sctx.log.warn({ warning: w }, 'project warning');
  return { ...sctx, env: { ...sctx.env, ...env }, project: setup, readDirs: setup.toolDirs, writeDirs: setup.cacheDirs };
}
