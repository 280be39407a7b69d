import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StageFailure } from '@baton/runtime';
import { npmEnv } from './child-env.js';
import type { PackageManager } from './package-manager.js';
import type { ProcessRegistry } from './process-registry.js';
import { describeOutcome, runCommand } from './run-command.js';

/** The npm CLI that ships with the agent's Node (`<prefix>/lib/node_modules/npm`), or null. */
export function bundledNpmDir(execPath: string = process.execPath): string | null {
  const dir = join(dirname(execPath), '..', 'lib', 'node_modules', 'npm');
  return existsSync(join(dir, 'bin', 'npm-cli.js')) ? dir : null;
}

export interface ToolOptions {
  /** Where managers are installed (`<dir>/<pkg>@<version>`) and shims written (`<dir>/shims/…`). */
  toolsDir: string;
  npmCacheDir: string;
  /** Environment of the npm that installs a manager (PATH, proxies, CA settings). */
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  registry?: ProcessRegistry;
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const safeName = (pkg: string) => pkg.replace(/^@/, '').replace(/\//g, '+');

/** Moves a finished temp directory into place; someone else finishing first is as good. */
async function publish(tmp: string, dir: string): Promise<void> {
  try {
    await rename(tmp, dir);
  } catch (e: unknown) {
    await rm(tmp, { recursive: true, force: true });
    if (!existsSync(dir)) throw e;
  }
}

/**
 * `<pkg>@<version>` installed under the tools dir with the agent's npm (scripts off, the shared npm
 * cache): into a temp directory renamed into place, so a directory that exists is complete and
 * concurrent agents on one host never see half an install. Returns the package's directory.
 */
async function installTool(pkg: string, version: string, opts: ToolOptions): Promise<string> {
  const dir = join(opts.toolsDir, `${safeName(pkg)}@${version}`);
  const pkgDir = join(dir, 'node_modules', pkg);
  if (existsSync(join(dir, '.complete'))) return pkgDir;
  const npm = bundledNpmDir();
  if (!npm) throw new StageFailure('INSTALL_FAILED', `cannot install ${pkg}@${version}: no npm next to ${process.execPath}`, { retryable: false });
  await mkdir(opts.toolsDir, { recursive: true });
  const tmp = join(opts.toolsDir, `.tmp-${safeName(pkg)}@${version}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp);
  await writeFile(join(tmp, 'package.json'), '{"private":true}\n');
  const args = [join(npm, 'bin', 'npm-cli.js'), 'install', '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', `${pkg}@${version}`];
  const r = await runCommand(process.execPath, args, {
    cwd: tmp,
    env: { ...opts.env, ...npmEnv(opts.npmCacheDir) },
    timeoutMs: opts.timeoutMs,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.registry ? { registry: opts.registry } : {}),
  });
  if (!r.ok || !existsSync(join(tmp, 'node_modules', pkg, 'package.json'))) {
    await rm(tmp, { recursive: true, force: true });
    const tail = r.output.trimEnd().split('\n').slice(-10).join('\n');
    throw new StageFailure('INSTALL_FAILED', `could not install the package manager ${pkg}@${version}: npm ${describeOutcome(r, opts.timeoutMs)}\n${tail}`, { retryable: true });
  }
  await writeFile(join(tmp, '.complete'), `${new Date().toISOString()}\n`);
  await publish(tmp, dir);
  return pkgDir;
}

/** The package's executables (`bin` of its package.json), as absolute paths. */
async function binsOf(pkgDir: string): Promise<Record<string, string>> {
  const manifest = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as { name: string; bin?: string | Record<string, string> };
  const bin = typeof manifest.bin === 'string' ? { [manifest.name.split('/').pop()!]: manifest.bin } : (manifest.bin ?? {});
  return Object.fromEntries(Object.entries(bin).map(([k, v]) => [k, join(pkgDir, v)]));
}

/**
 * A directory of shims for the project's commands: `node` (the agent's Node), `npm`/`npx` and the
 * chosen manager's executables (`pnpm`, `pnpx` or `yarn`, `yarnpkg`), each running that exact
 * version with the agent's Node — put first on the PATH of every project command, so scripts that
 * call `pnpm` or `yarn` get it, and no manager switches itself to another version. Installs the
 * manager first when needed. Shared by every stage that uses the same manager, version and Node.
 */
export async function packageManagerShims(pm: PackageManager, opts: ToolOptions): Promise<string> {
  const node = process.execPath;
  const key = createHash('sha256').update(`${node}\0${process.version}`).digest('hex').slice(0, 10);
  const shimDir = join(opts.toolsDir, 'shims', `${pm.name}@${pm.version ?? 'bundled'}-${key}`);
  if (existsSync(join(shimDir, '.complete'))) return shimDir;

  const bins: Record<string, string> = {};
  const npmDir = pm.name === 'npm' && pm.version ? await installTool('npm', pm.version, opts) : bundledNpmDir();
  if (npmDir) {
    bins.npm = join(npmDir, 'bin', 'npm-cli.js');
    bins.npx = join(npmDir, 'bin', 'npx-cli.js');
  }
  if (pm.name !== 'npm') {
    const pkgDir = await installTool(pm.pkg, pm.version!, opts);
    const own = await binsOf(pkgDir);
    for (const name of pm.name === 'pnpm' ? ['pnpm', 'pnpx'] : ['yarn', 'yarnpkg']) if (own[name]) bins[name] = own[name];
  }

  await mkdir(dirname(shimDir), { recursive: true });
  const tmp = `${shimDir}.tmp-${randomBytes(4).toString('hex')}`;
  await mkdir(tmp);
  await symlink(node, join(tmp, 'node'));
  for (const [name, script] of Object.entries(bins)) {
    await writeFile(join(tmp, name), `#!/bin/sh\nexec ${shq(node)} ${shq(script)} "$@"\n`);
    await chmod(join(tmp, name), 0o755);
  }
  await writeFile(join(tmp, '.complete'), '');
  await publish(tmp, shimDir);
  return shimDir;
}
