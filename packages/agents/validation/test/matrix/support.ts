/**
 * The runner × package-manager matrix: fixture projects generated into real git repositories, run
 * through the validation agent's handler (real git, real installs from the npm registry with pinned
 * versions, real runners). Installs share one cache per manager under ~/.cache/baton-test (or
 * BATON_TEST_CACHE_DIR), so CI reuses downloads.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ValidationInput, type ValidationOutput } from '@baton/contracts';
import type { TaskContext } from '@baton/runtime';
import { createValidationAgent, validationConfigFromEnv } from '../../src/index.js';

export const TEST_CACHE = process.env.BATON_TEST_CACHE_DIR ?? join(homedir(), '.cache', 'baton-test');

const GIT_ENV = { GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync('git', ['-c', 'init.defaultBranch=main', ...args], { cwd, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
}

/** A git repository (non-bare, one commit on main) holding `files`; returns its file:// URL. */
export function repoWith(root: string, name: string, files: Record<string, string>): string {
  const dir = join(root, 'repos', name);
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'fixture');
  return pathToFileURL(dir).href;
}

export function scratchDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `baton-${label}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

const quiet = (): TaskContext<ValidationInput>['log'] => {
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined, trace: () => undefined, fatal: () => undefined, child: () => log };
  return log as unknown as TaskContext<ValidationInput>['log'];
};

export type Outcome = { ok: true; output: ValidationOutput; ms: number } | { ok: false; code: string; message: string; details: ValidationOutput | undefined; ms: number };

/** An agent for one work root (the data dir holds the tools; npm's cache is shared). */
export function validationAgent(workDir: string, dataDir: string, extraEnv: Record<string, string> = {}) {
  // The agent's environment as it would have it (CA settings and proxies included), without Baton's own settings.
  const own = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BATON_')));
  const config = validationConfigFromEnv({
    ...own,
    BATON_DATA_DIR: dataDir,
    BATON_WORK_DIR: workDir,
    BATON_NPM_CACHE_DIR: join(TEST_CACHE, 'npm'),
    BATON_CACHE_DIR: join(TEST_CACHE, 'pm'),
    BATON_ALLOW_LOCAL_REPOS: 'true',
    ...extraEnv,
  });
  const agent = createValidationAgent(config);
  let n = 0;
  return async (url: string, input: Record<string, unknown> = {}): Promise<Outcome> => {
    const started = Date.now();
    const ctx = {
      input: ValidationInput.parse({ repository: { url, branch: 'main' }, installTimeoutMs: 600_000, commandTimeoutMs: 300_000, ...input }),
      signal: new AbortController().signal,
      log: quiet(),
      progress: () => undefined,
      runId: `run_matrix${++n}`,
      stage: 'validation',
      pipeline: 'matrix',
      jobId: `job${n}`,
      attempt: 1,
      maxAttempts: 1,
      agentId: 'matrix',
      upstream: {},
      labels: {},
      artifacts: { save: async (name: string) => ({ id: `art_${name}`, name, size: 0, contentType: 'text/plain', stage: 'validation', createdAt: new Date().toISOString() }) },
    } as unknown as TaskContext<ValidationInput>;
    try {
      const output = (await agent.handler(ctx)) as ValidationOutput;
      return { ok: true, output, ms: Date.now() - started };
    } catch (e: unknown) {
      const err = e as { code?: string; message?: string; details?: unknown };
      return { ok: false, code: err.code ?? 'UNKNOWN', message: err.message ?? String(e), details: err.details as ValidationOutput | undefined, ms: Date.now() - started };
    }
  };
}

/** Runs `jobs` with at most `limit` at once, keeping their order in the results. */
export async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]!();
      }
    }),
  );
  return out;
}
