import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InstallMode } from '@baton/contracts';
import { NonRetryableError } from '@baton/runtime';
import { installCommandOf, scriptCommandOf, type PackageManager } from './package-manager.js';

export interface PackageJson {
  name?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  /** `pnpm@9.15.9+sha512.…`: the manager and its exact version (Corepack's field). */
  packageManager?: unknown;
  engines?: { node?: unknown };
  /** npm/yarn workspaces (an array or `{ packages: [...] }`). */
  workspaces?: unknown;
}

/** The project's package.json, or null when it has none. */
export async function readPackageJson(dir: string): Promise<PackageJson | null> {
  let text: string;
  try {
    text = await readFile(join(dir, 'package.json'), 'utf8');
  } catch {
    return null;
  }
  try {
    const pkg: unknown = JSON.parse(text);
    if (typeof pkg !== 'object' || pkg === null || Array.isArray(pkg)) throw new Error('not an object');
    return pkg as PackageJson;
  } catch (e: unknown) {
    throw new NonRetryableError('INVALID_PACKAGE_JSON', `package.json is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const NPM: PackageManager = { name: 'npm', version: null, berry: false, pkg: 'npm', source: 'default', lockfile: null, notes: [] };

/** Runs the package.json script `name` with the project's package manager (npm by default), or null when there is no such script. */
export function projectScript(pkg: PackageJson | null, name: string, pm: PackageManager = NPM, args: readonly string[] = []): string | null {
  return pkg?.scripts?.[name] ? scriptCommandOf(pm, name, args) : null;
}

/**
 * The install command for a checkout, or null with the reason there is none: the package manager's
 * (frozen with a lockfile), when there is a lockfile, a workspace, declared dependencies or
 * `install: always`.
 */
export function installCommand(dir: string, pkg: PackageJson | null, mode: InstallMode, override?: string | null, pm: PackageManager = NPM): { command: string | null; reason: string } {
  if (mode === 'never') return { command: null, reason: 'install: never' };
  if (override) return { command: override, reason: 'configured' };
  if (override === null) return { command: null, reason: 'installCommand: null' };
  if (!pkg) return { command: null, reason: 'no package.json' };
  if (pm.lockfile) return { command: installCommandOf(pm), reason: pm.lockfile };
  const deps = { ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies };
  const workspace = pkg.workspaces !== undefined || existsSync(join(dir, 'pnpm-workspace.yaml'));
  if (Object.keys(deps).length > 0 || workspace || mode === 'always') return { command: installCommandOf(pm), reason: 'package.json' };
  return { command: null, reason: 'package.json declares no dependencies' };
}
