import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArtifactList, E2eOutput } from '@baton/contracts';
import { useTestStack, waitFor } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { bareRepo, describeRun, processesUnder, scratch, stageOf, startSdlcAgents } from './sdlc-support.js';

const stack = useTestStack();

/**
 * A dependency-free app started with `npm start` (npm → sh → node) that starts two more processes —
 * one in its process group, one that escapes into a session of its own — writes all their pids to
 * PIDS_FILE, and never becomes ready: /health answers 503.
 */
const STUCK_APP = {
  'package.json': JSON.stringify({ name: 'stuck', version: '1.0.0', private: true, scripts: { start: 'node server.js' } }),
  'server.js': [
    "const { spawn } = require('node:child_process');",
    "const { appendFileSync } = require('node:fs');",
    "const http = require('node:http');",
    "const sleeper = ['-e', 'setInterval(() => {}, 1000)'];",
    "const child = spawn(process.execPath, sleeper, { stdio: 'ignore' });",
    "const escaped = spawn(process.execPath, sleeper, { stdio: 'ignore', detached: true });",
    "http.createServer((req, res) => { res.writeHead(503); res.end('warming up'); }).listen(Number(process.env.PORT), '127.0.0.1', () => {",
    "  appendFileSync(process.env.PIDS_FILE, [process.pid, child.pid, escaped.pid].join('\\n') + '\\n');",
    '});',
    '',
  ].join('\n'),
};

/** A dependency-free app with a page for the browser and JSON routes for the HTTP checks. */
const WEB_APP = {
  'package.json': JSON.stringify({ name: 'web', version: '1.0.0', private: true, scripts: { start: 'node server.js' } }),
  'server.js': [
    "const http = require('node:http');",
    'http.createServer((req, res) => {',
    "  if (req.url === '/health') { res.writeHead(200, { 'content-type': 'application/json' }); return res.end(JSON.stringify({ status: 'ok', checks: { db: 'up' } })); }",
    "  if (req.url === '/api/echo' && req.method === 'POST') { let b = ''; req.on('data', (c) => (b += c)); return req.on('end', () => { res.writeHead(201); res.end(b); }); }",
    "  res.writeHead(200, { 'content-type': 'text/html' }); res.end('<!doctype html><title>Web app</title><h1>Hello from the web app</h1>');",
    "}).listen(Number(process.env.PORT), process.env.HOST);",
    '',
  ].join('\n'),
};

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

const e2eStage = (input: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ definition: { stages: [{ name: 'e2e', agent: 'e2e', input, ...extra }] } });

async function appPids(file: string): Promise<number[]> {
  return waitFor(() => existsSync(file) && readFileSync(file, 'utf8').trim().split('\n').length >= 3 && readFileSync(file, 'utf8').trim().split('\n').map(Number), {
    what: 'the app to start its processes',
    timeoutMs: 30_000,
  });
}

/**
 * Host pids of the stuck app's node processes (server and both sleepers), wherever they run. Inside
 * the sandbox the app sees its own PID namespace and cannot write outside its workspace, so its
 * PIDS_FILE is relative (in its checkout) and the test finds the processes from the host's /proc.
 */
async function sandboxedAppPids(root: string, atLeast = 3): Promise<number[]> {
  return waitFor(() => {
    const pids = processesUnder(root).filter((p) => /^\S*node (server\.js|-e setInterval)/.test(p.cmd)).map((p) => p.pid);
    return pids.length >= atLeast && pids;
  }, { what: 'the app to start its processes', timeoutMs: 30_000 });
}

describe('e2e', () => {
  it('cancelling a run during e2e stops the app and every process it started', async () => {
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-e2e');
    const agents = await startSdlcAgents(stack, h, root, ['e2e']);
    const repo = bareRepo(root, 'stuck', STUCK_APP);
    const run = await h.submit(e2eStage({ repository: { url: repo.url, branch: 'main' }, start: { env: { PIDS_FILE: 'pids' }, readyTimeoutMs: 120_000 } }));

    const pids = await sandboxedAppPids(root);
    expect(pids.every(alive)).toBe(true);
    const workRoot = join(agents.dataDir, 'work', 'e2e');
    expect(processesUnder(workRoot).length).toBeGreaterThanOrEqual(3); // npm, sh, node, its children

    expect((await h.request('POST', `/v1/runs/${run.id}/cancel`, { reason: 'test' })).status).toBe(200);
    const done = await h.waitRun(run.id, undefined, 30_000);
    expect(done.status).toBe('cancelled');
    expect(stageOf(done, 'e2e').status).toBe('cancelled');
    await waitFor(() => !pids.some(alive), { what: 'the app processes to be gone', timeoutMs: 15_000 });
    await waitFor(() => processesUnder(workRoot).length === 0, { what: 'no process left in the workspace', timeoutMs: 15_000 });
    expect(processesUnder(root)).toEqual([]);
  }, 90_000);

  it('a stage that times out kills the whole process tree too', async () => {
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-e2e');
    await startSdlcAgents(stack, h, root, ['e2e']);
    const repo = bareRepo(root, 'stuck', STUCK_APP);
    const run = await h.submit(e2eStage({ repository: { url: repo.url, branch: 'main' }, start: { env: { PIDS_FILE: 'pids' }, readyTimeoutMs: 120_000 } }, { timeoutMs: 4000 }));
    const pids = await sandboxedAppPids(root);
    const done = await h.waitRun(run.id, undefined, 30_000);
    expect(done.status).toBe('failed');
    expect(stageOf(done, 'e2e').error?.code).toBe('STAGE_TIMEOUT');
    await waitFor(() => !pids.some(alive), { what: 'the app processes to be gone', timeoutMs: 15_000 });
    expect(processesUnder(root)).toEqual([]);
  }, 60_000);

  it('runs declared HTTP checks and a browser check with a screenshot when Chromium is installed', async () => {
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-e2e');
    await startSdlcAgents(stack, h, root, ['e2e']);
    const repo = bareRepo(root, 'web', WEB_APP);
    const checks = [
      { name: 'health', path: '/health', expectBody: { json: { status: 'ok', checks: { db: 'up' } } } },
      { name: 'echo', method: 'POST', path: '/api/echo', body: { hello: 'world' }, expectStatus: 201, expectBody: { contains: 'world', regex: '^\\{"hello"' } },
    ];
    const run = await h.waitRun((await h.submit(e2eStage({ repository: { url: repo.url, branch: 'main' }, checks, browser: { expectText: 'Hello from the web app' } }))).id, undefined, 90_000);
    expect(run.status, describeRun(run)).toBe('succeeded');
    const out = stageOf(run, 'e2e').output as E2eOutput;
    expect(out.checks.map((c) => [c.name, c.status, c.httpStatus])).toEqual([
      ['health', 'passed', 200],
      ['echo', 'passed', 201],
    ]);
    expect(out.steps.map((s) => [s.name, s.status])).toEqual([
      ['install', 'skipped'],
      ['build', 'skipped'],
      ['start', 'passed'],
    ]);
    const artifacts = (await h.request<ArtifactList>('GET', `/v1/runs/${run.id}/artifacts`)).body.items;
    if (existsSync('/usr/bin/chromium')) {
      expect(out.browser).toMatchObject({ status: 'passed', title: 'Web app' });
      const shot = artifacts.find((a) => a.id === out.browser.screenshot);
      expect(shot).toMatchObject({ name: 'screenshot.png', contentType: 'image/png' });
      const png = await h.app.inject({ method: 'GET', url: `/v1/runs/${run.id}/artifacts/${shot!.id}`, headers: h.headers });
      expect(png.rawPayload.subarray(1, 4).toString()).toBe('PNG');
    } else {
      expect(out.browser).toMatchObject({ status: 'skipped', screenshot: null });
    }
    expect(artifacts.map((a) => a.name)).toContain('app.log');

    // A failing expectation fails the stage, naming the check.
    const failing = await h.waitRun((await h.submit(e2eStage({ repository: { url: repo.url, branch: 'main' }, checks: [{ path: '/health', expectBody: { contains: 'degraded' } }], browser: { mode: 'off' } }))).id, undefined, 60_000);
    expect(failing.status).toBe('failed');
    expect(stageOf(failing, 'e2e').error).toMatchObject({ code: 'E2E_CHECKS_FAILED', retryable: false });
    expect(stageOf(failing, 'e2e').error!.message).toContain('GET /health: body does not contain "degraded"');
  }, 120_000);

  it('reports the browser step as skipped, with the reason, when Chromium is absent', async () => {
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-e2e');
    await startSdlcAgents(stack, h, root, ['e2e'], { BATON_CHROMIUM_PATH: '/nonexistent/chromium' });
    const repo = bareRepo(root, 'web', WEB_APP);
    const run = await h.waitRun((await h.submit(e2eStage({ repository: { url: repo.url, branch: 'main' } }))).id, undefined, 60_000);
    expect(run.status, describeRun(run)).toBe('succeeded');
    const out = stageOf(run, 'e2e').output as E2eOutput;
    expect(out.browser.status).toBe('skipped');
    expect(out.browser.reason).toContain('Chromium is not installed (looked for /nonexistent/chromium');
    // No readyPath and no checks: the app is checked the way any app can be, `GET /` answering below 500.
    expect(out.checks).toEqual([expect.objectContaining({ name: 'GET / answers < 500', path: '/', status: 'passed', httpStatus: 200 })]);
  }, 60_000);

  it('an agent killed with -9 leaves its unsandboxed app behind; the next agent to start stops it', async () => {
    // In the bubblewrap sandbox the app dies with its agent (--die-with-parent tears the PID namespace
    // down); the orphan reaper is for the setpriv fallback and BATON_SANDBOX=off, where it outlives it.
    const noSandbox = { BATON_SANDBOX: 'off' };
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-e2e');
    const first = await startSdlcAgents(stack, h, root, ['e2e'], noSandbox);
    const repo = bareRepo(root, 'stuck', STUCK_APP);
    const pidsFile = join(root, 'pids');
    const run = await h.submit(e2eStage({ repository: { url: repo.url, branch: 'main' }, start: { env: { PIDS_FILE: pidsFile }, readyTimeoutMs: 120_000 } }));
    const pids = await appPids(pidsFile);

    await first.procs[0]!.kill('SIGKILL');
    expect(pids.every(alive)).toBe(true); // nobody could stop them

    await startSdlcAgents(stack, h, root, ['e2e'], noSandbox);
    await waitFor(() => !pids.some(alive), { what: 'the orphans to be reaped', timeoutMs: 15_000 });
    // The new agent takes the stalled stage over; cancelling it stops the new app as well.
    await waitFor(async () => stageOf(await h.run(run.id), 'e2e').attempts >= 1 && existsSync(pidsFile) && readFileSync(pidsFile, 'utf8').trim().split('\n').length >= 6, {
      what: 'the stage to run again',
      timeoutMs: 30_000,
    });
    expect((await h.request('POST', `/v1/runs/${run.id}/cancel`, {})).status).toBe(200);
    expect((await h.waitRun(run.id, undefined, 30_000)).status).toBe('cancelled');
    await waitFor(() => processesUnder(join(root, 'data')).length === 0, { what: 'no process left', timeoutMs: 15_000 });
  }, 120_000);
});
