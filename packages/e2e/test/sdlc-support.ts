/**
 * Shared by the sdlc*.test.ts files: real git repositories (bare, in temp dirs), the five SDLC agents
 * as child processes started from dist/ (as production runs them), a private PM2 home, and process
 * table checks for orphans.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunView } from '@baton/contracts';
import { artifactDirFor, REPO_ROOT, spawnAgent, type BatonProcess, type Harness, type TestStack } from '@baton/testing';

export type SdlcAgentType = 'scaffold' | 'validation' | 'e2e' | 'integration' | 'deployment';

/** One npm cache for every test (and run): installs after the first are offline. */
export const SHARED_NPM_CACHE = join(tmpdir(), 'baton-test-npm-cache');

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

/** Runs git synchronously; throws with its output when it fails. */
export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', ['-c', 'init.defaultBranch=main', ...args], { cwd, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

/** A scratch area for one test, removed afterwards (after everything else deferred). */
export function scratch(stack: TestStack, label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `baton-${label}-`));
  stack.defer(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestRepo {
  /** file:// URL of the bare repository. */
  url: string;
  dir: string;
}

/** A bare repository; with `files`, its `main` branch has one commit holding them. */
export function bareRepo(root: string, name: string, files?: Record<string, string>): TestRepo {
  const dir = join(root, 'repos', `${name}.git`);
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '--bare');
  const repo = { url: pathToFileURL(dir).href, dir };
  if (files) commitFiles(root, repo, 'main', files, 'Initial commit', { create: true });
  return repo;
}

/** Commits `files` (null deletes one) on top of `branch` (or as its first commit) and pushes it. Returns the commit SHA. */
export function commitFiles(root: string, repo: TestRepo, branch: string, files: Record<string, string | null>, message: string, opts: { create?: boolean; from?: string } = {}): string {
  const work = mkdtempSync(join(root, 'work-'));
  try {
    git(work, 'init', '-q');
    git(work, 'remote', 'add', 'origin', repo.url);
    if (opts.create) {
      if (opts.from) {
        git(work, 'fetch', '-q', 'origin', opts.from);
        git(work, 'checkout', '-q', '-b', branch, 'FETCH_HEAD');
      } else {
        git(work, 'checkout', '-q', '--orphan', branch);
      }
    } else {
      git(work, 'fetch', '-q', 'origin', branch);
      git(work, 'checkout', '-q', '-b', branch, 'FETCH_HEAD');
    }
    for (const [path, content] of Object.entries(files)) {
      const full = join(work, path);
      if (content === null) rmSync(full, { force: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', message);
    git(work, 'push', '-q', 'origin', `HEAD:refs/heads/${branch}`);
    return git(work, 'rev-parse', 'HEAD');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The head commit of a branch of a bare repository. */
export function headOf(repo: TestRepo, branch: string): string {
  return git(repo.dir, 'rev-parse', `refs/heads/${branch}`);
}

export interface SdlcAgents {
  /** BATON_DATA_DIR of the agents. */
  dataDir: string;
  pm2Home: string;
  procs: BatonProcess[];
}

const PM2_BIN = join(REPO_ROOT, 'packages/agents/deployment/node_modules/pm2/bin/pm2');

/** Stops the PM2 daemon of `home` and every service it runs. */
export function killPm2(home: string): void {
  if (!existsSync(join(home, 'pm2.pid'))) return;
  spawnSync(process.execPath, [PM2_BIN, 'kill'], { env: { ...process.env, PM2_HOME: home }, stdio: 'ignore', timeout: 30_000 });
}

/**
 * Starts SDLC agents as child processes (dist/main.js) in the harness's namespace, sharing its
 * artifact directory, with their own data dir, the shared npm cache and a private PM2 home.
 * Teardown: SIGTERM the agents (they drain), kill PM2 and its services.
 */
export async function startSdlcAgents(stack: TestStack, h: Harness, root: string, types: SdlcAgentType[], env: Record<string, string> = {}): Promise<SdlcAgents> {
  const dataDir = join(root, 'data');
  const pm2Home = join(root, 'pm2');
  const procs = await Promise.all(
    types.map((type) =>
      spawnAgent(join(REPO_ROOT, `packages/agents/${type}/dist/main.js`), stack.redis.url, h.ns, {
        BATON_DATA_DIR: dataDir,
        BATON_WORK_DIR: join(dataDir, 'work'),
        BATON_ARTIFACT_DIR: artifactDirFor(h.ns),
        BATON_NPM_CACHE_DIR: SHARED_NPM_CACHE,
        BATON_PM2_HOME: pm2Home,
        BATON_ABORT_GRACE_MS: '8000',
        BATON_ALLOW_LOCAL_REPOS: 'true',
        ...env,
      }),
    ),
  );
  stack.defer(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGTERM')));
    killPm2(pm2Home);
  });
  return { dataDir, pm2Home, procs };
}

export const stageOf = (r: RunView, name: string) => r.stages.find((s) => s.name === name)!;

/** A readable account of a run's stages, for assertion messages. */
export function describeRun(r: RunView): string {
  return r.stages.map((s) => `${s.name}: ${s.status}${s.error ? ` ${s.error.code}: ${s.error.message.slice(0, 600)}` : ''}`).join('\n');
}

/** Live processes whose working directory or command line mentions `dir`. */
export function processesUnder(dir: string): { pid: number; cmd: string }[] {
  const found: { pid: number; cmd: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ');
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${name}/cwd`);
      } catch {
        // not ours to read
      }
      if (cwd.startsWith(dir) || cmd.includes(dir)) found.push({ pid: Number(name), cmd: cmd.slice(0, 200) });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}
