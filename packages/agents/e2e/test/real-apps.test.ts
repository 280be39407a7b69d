import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { E2eInput, type E2eOutput } from '@baton/contracts';
import type { TaskContext } from '@baton/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { createE2eAgent, e2eConfigFromEnv } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'baton-e2e-apps-'));
afterAll(() => rmSync(root, { recursive: true, force: true, maxRetries: 3 }));

const GIT_ENV = { GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

function repo(name: string, files: Record<string, string>): string {
  const dir = join(root, 'repos', name);
  mkdirSync(dir, { recursive: true });
  for (const [p, c] of Object.entries(files)) writeFileSync(join(dir, p), c);
  for (const args of [['init', '-q'], ['add', '-A'], ['commit', '-q', '-m', 'app']]) {
    const r = spawnSync('git', ['-c', 'init.defaultBranch=main', ...args], { cwd: dir, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  }
  return pathToFileURL(dir).href;
}

const agent = createE2eAgent(
  e2eConfigFromEnv({ PATH: process.env.PATH, HOME: process.env.HOME, BATON_DATA_DIR: join(root, 'data'), BATON_WORK_DIR: join(root, 'work'), BATON_CHROMIUM_PATH: '/nonexistent', BATON_ALLOW_LOCAL_REPOS: 'true' }),
);

async function runE2e(url: string, input: Record<string, unknown> = {}): Promise<{ output?: E2eOutput; error?: { code: string; message: string } }> {
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined, child: () => log };
  const ctx = {
    input: E2eInput.parse({ repository: { url, branch: 'main' }, browser: { mode: 'off' }, start: { readyTimeoutMs: 20_000 }, ...input }),
    signal: new AbortController().signal,
    log,
    progress: () => undefined,
    runId: 'run_e2eapps',
    stage: 'e2e',
    attempt: 1,
    artifacts: { save: async (name: string) => ({ id: `art_${name}` }) },
  } as unknown as TaskContext<E2eInput>;
  try {
    return { output: (await agent.handler(ctx)) as E2eOutput };
  } catch (e: unknown) {
    return { error: { code: (e as { code: string }).code, message: (e as Error).message } };
  }
}

const pkg = (scripts: Record<string, string>, extra: Record<string, unknown> = {}) => `${JSON.stringify({ name: 'app', version: '1.0.0', private: true, scripts, ...extra })}\n`;

describe('e2e on apps that are not Baton templates', () => {
  it('finds an app without /health that ignores PORT and listens on a port of its own choosing', async () => {
    // listen(0): the kernel picks the port; the app prints nothing about it.
    const server = "require('node:http').createServer((req, res) => { res.writeHead(req.url === '/' ? 404 : 404); res.end('no route'); }).listen(0, '127.0.0.1');\n";
    const r = await runE2e(repo('own-port', { 'package.json': pkg({ start: 'node server.js' }), 'server.js': server }));
    expect(r.error, r.error?.message).toBeUndefined();
    expect(r.output!.passed).toBe(true);
    expect(r.output!.checks).toEqual([expect.objectContaining({ name: 'GET / answers < 500', path: '/', status: 'passed', httpStatus: 404 })]);
    expect(r.output!.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(r.output!.steps.find((s) => s.name === 'start')).toMatchObject({ status: 'passed' });
  });

  it('uses the port an app prints when it listens on several, and `main` when there is no start script', async () => {
    const server = [
      "const http = require('node:http');",
      "http.createServer((q, s) => s.end('admin')).listen(0, '127.0.0.1');",
      "const app = http.createServer((q, s) => { s.writeHead(200); s.end('<h1>home</h1>'); }).listen(0, '127.0.0.1', () => console.log(`ready at http://localhost:${app.address().port}/`));",
      '',
    ].join('\n');
    const r = await runE2e(repo('printed-port', { 'package.json': pkg({}, { main: 'index.js' }), 'index.js': server }), { checks: [{ path: '/', expectBody: { contains: 'home' } }] });
    expect(r.error, r.error?.message).toBeUndefined();
    expect(r.output!.checks[0]).toMatchObject({ status: 'passed', httpStatus: 200 });
    expect(r.output!.steps.find((s) => s.name === 'start')!.command).toBe('node index.js');
  });

  it('says clearly, with its output, when the app does not start', async () => {
    const r = await runE2e(repo('crash', { 'package.json': pkg({ start: 'node boot.js' }), 'boot.js': "console.log('loading config');\nconsole.error('Error: DATABASE_URL is not set');\nprocess.exit(3);\n" }));
    expect(r.error?.code).toBe('APP_NOT_READY');
    expect(r.error!.message).toContain('the app exited (exit code 3) before it answered on /');
    expect(r.error!.message).toContain("--- the app's output (last lines) ---");
    expect(r.error!.message).toContain('Error: DATABASE_URL is not set');
  });
});
