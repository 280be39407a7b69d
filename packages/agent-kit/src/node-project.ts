import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InstallMode } from '@baton/contracts';
import { NonRetryableError } from '@baton/runtime';

export interface PackageJson {
  name?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
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

/** `npm run --silent <name>` when package.json defines that script, else null. */
export function npmScript(pkg: PackageJson | null, name: string): string | null {
  return pkg?.scripts?.[name] ? `npm run --silent ${name}` : null;
}

/** The install command for a checkout, or null with the reason there is none. */
export function installCommand(dir: string, pkg: PackageJson | null, mode: InstallMode, override?: string | null): { command: string | null; reason: string } {
  if (mode === 'never') return { command: null, reason: 'install: never' };
  if (override) return { command: override, reason: 'configured' };
  if (override === null) return { command: null, reason: 'installCommand: null' };
  if (!pkg) return { command: null, reason: 'no package.json' };
  if (existsSync(join(dir, 'package-lock.json')) || existsSync(join(dir, 'npm-shrinkwrap.json'))) return { command: 'npm ci', reason: 'package-lock.json' };
  if (existsSync(join(dir, 'pnpm-lock.yaml'))) return { command: 'npx --yes pnpm@10 install --frozen-lockfile', reason: 'pnpm-lock.yaml' };
  if (existsSync(join(dir, 'yarn.lock'))) return { command: 'npx --yes yarn@1 install --frozen-lockfile', reason: 'yarn.lock' };
  const deps = { ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies };
  if (Object.keys(deps).length > 0 || mode === 'always') return { command: 'npm install', reason: 'package.json' };
  return { command: null, reason: 'package.json declares no dependencies' };
}
