import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PackageJson } from './node-project.js';

export type PackageManagerName = 'npm' | 'pnpm' | 'yarn';

/** The package manager a project's commands run with, at an exact version. */
export interface PackageManager {
  name: PackageManagerName;
  /** Exact version; null: the npm that ships with the agent's Node. */
  version: string | null;
  /** yarn 2+ (berry) rather than yarn 1 (classic). */
  berry: boolean;
  /** The npm package that provides it (`pnpm`, `yarn`, `@yarnpkg/cli-dist`, `npm`). */
  pkg: string;
  /** What chose it: `packageManager`, a lockfile's name, or `default`. */
  source: string;
  /** The lockfile it installs from (a path relative to the project), or null. */
  lockfile: string | null;
  /** Things worth telling the user (several lockfiles, a malformed packageManager field). */
  notes: string[];
}

/**
 * Versions used when the project names a manager without an exact version (a lockfile only):
 * pinned, so a run is reproducible, and chosen by the lockfile's format where it tells.
 */
export const DEFAULT_VERSIONS = {
  pnpm: '10.34.9',
  /** pnpm-lock.yaml `lockfileVersion` 6.x is pnpm 8's, 5.x pnpm 7's. */
  pnpmForLockfile: { '6': '8.9.2', '5': '7.9.5' } as Record<string, string>,
  yarnClassic: '1.22.22',
  yarnBerry: '4.18.1',
  /** yarn.lock `__metadata.version` 6 is yarn 3's (4+ is yarn 4's). */
  yarnBerryForMetadata: { '6': '3.8.6' } as Record<string, string>,
} as const;

const LOCKFILES: readonly [string, PackageManagerName][] = [
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
];

const FIELD = /^(npm|pnpm|yarn)@(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)(?:\+\S+)?$/;

function providerOf(name: PackageManagerName, version: string | null): { pkg: string; berry: boolean } {
  if (name === 'yarn') {
    const berry = version !== null && Number(version.split('.')[0]) >= 2;
    return { pkg: berry ? '@yarnpkg/cli-dist' : 'yarn', berry };
  }
  return { pkg: name, berry: false };
}

async function head(path: string, bytes = 4096): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).slice(0, bytes);
  } catch {
    return '';
  }
}

/** The version a lockfile implies for its manager (yarn.lock tells classic from berry). */
async function versionFromLockfile(dir: string, name: PackageManagerName, lockfile: string): Promise<string | null> {
  if (name === 'npm') return null;
  const text = await head(join(dir, lockfile));
  if (name === 'pnpm') {
    const major = /^lockfileVersion:\s*'?(\d+)/m.exec(text)?.[1];
    return (major && DEFAULT_VERSIONS.pnpmForLockfile[major]) || DEFAULT_VERSIONS.pnpm;
  }
  const meta = /^__metadata:\s*\n\s+version:\s*(\d+)/m.exec(text)?.[1];
  if (meta) return DEFAULT_VERSIONS.yarnBerryForMetadata[meta] ?? DEFAULT_VERSIONS.yarnBerry;
  return DEFAULT_VERSIONS.yarnClassic;
}

/**
 * Chooses the project's package manager: the `packageManager` field (`pnpm@9.15.9+sha512…`, its
 * exact version), else the lockfile (package-lock.json / npm-shrinkwrap.json → npm, pnpm-lock.yaml →
 * pnpm, yarn.lock → yarn classic or berry by its format), else `pnpm-workspace.yaml` → pnpm, else npm.
 */
export async function detectPackageManager(dir: string, pkg: PackageJson | null): Promise<PackageManager> {
  const notes: string[] = [];
  const present = LOCKFILES.filter(([f]) => existsSync(join(dir, f)));
  const field = typeof pkg?.packageManager === 'string' ? pkg.packageManager.trim() : null;
  const m = field ? FIELD.exec(field) : null;
  if (field && !m) notes.push(`packageManager "${field.slice(0, 100)}" is not <npm|pnpm|yarn>@<x.y.z>; chose by lockfile instead`);
  if (m) {
    const name = m[1] as PackageManagerName;
    const lock = present.find(([, n]) => n === name)?.[0] ?? null;
    const others = present.filter(([, n]) => n !== name).map(([f]) => f);
    if (others.length) notes.push(`packageManager is ${name}; ignoring ${others.join(', ')}`);
    return { name, version: m[2]!, ...providerOf(name, m[2]!), source: 'packageManager', lockfile: lock, notes };
  }
  const first = present[0];
  if (first) {
    const [lockfile, name] = first;
    if (present.length > 1) notes.push(`several lockfiles (${present.map(([f]) => f).join(', ')}); using ${lockfile}`);
    const version = await versionFromLockfile(dir, name, lockfile);
    return { name, version, ...providerOf(name, version), source: lockfile, lockfile, notes };
  }
  if (existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    return { name: 'pnpm', version: DEFAULT_VERSIONS.pnpm, ...providerOf('pnpm', DEFAULT_VERSIONS.pnpm), source: 'pnpm-workspace.yaml', lockfile: null, notes };
  }
  return { name: 'npm', version: null, ...providerOf('npm', null), source: 'default', lockfile: null, notes };
}

/** `pnpm@9.15.9 (packageManager)`, for reports. */
export function describePackageManager(pm: PackageManager): string {
  return `${pm.name}@${pm.version ?? 'bundled'} (${pm.source})`;
}

/** The install command: frozen/immutable when there is a lockfile, so CI never rewrites it. */
export function installCommandOf(pm: PackageManager): string {
  const locked = pm.lockfile !== null;
  switch (pm.name) {
    case 'npm':
      return locked ? 'npm ci' : 'npm install';
    case 'pnpm':
      return locked ? 'pnpm install --frozen-lockfile' : 'pnpm install --no-frozen-lockfile';
    case 'yarn':
      if (pm.berry) return locked ? 'yarn install --immutable' : 'yarn install --no-immutable';
      return locked ? 'yarn install --frozen-lockfile --non-interactive' : 'yarn install --non-interactive';
  }
}

/** Runs a package.json script with the project's manager; `args` are appended to the script's command line. */
export function scriptCommandOf(pm: PackageManager, name: string, args: readonly string[] = []): string {
  const tail = args.length ? ` ${args.join(' ')}` : '';
  if (pm.name === 'npm') return `npm run --silent ${name}${args.length ? ` --${tail}` : ''}`;
  return `${pm.name} run ${name}${tail}`;
}
