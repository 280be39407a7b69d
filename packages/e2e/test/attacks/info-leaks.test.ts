/**
 * Issue 14, minor findings, against real orchestrator and CLI processes: what a member of the public
 * (or a viewer) can learn about the deployment, the session cookie's Secure flag behind a TLS proxy,
 * and an API key on the CLI's command line.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CreatedKey, Ready } from '@baton/contracts';
import { ENTRYPOINTS, REPO_ROOT, spawnOrchestrator, startRedis, testNamespace, useTestStack, waitFor } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { scratch } from '../sdlc-support.js';

const stack = useTestStack();
const BOOTSTRAP = `boot-${'i'.repeat(40)}`;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function orchestrator(env: Record<string, string> = {}, redisUrl = stack.redis.url) {
  const orch = await spawnOrchestrator(redisUrl, testNamespace(), { BATON_AUTH: 'required', BATON_BOOTSTRAP_ADMIN_KEY: BOOTSTRAP, ...env });
  stack.defer(() => orch.kill());
  return orch;
}

async function createKey(url: string, role: string): Promise<CreatedKey> {
  const res = await fetch(`${url}/v1/keys`, { method: 'POST', headers: { ...bearer(BOOTSTRAP), 'content-type': 'application/json' }, body: JSON.stringify({ name: role, role }) });
  expect(res.status).toBe(201);
  return (await res.json()) as CreatedKey;
}

describe('attack: learning about Redis from public and viewer endpoints', () => {
  it('/ready says only that Redis is unreachable, never its error text', async () => {
    const redis = await startRedis();
    stack.defer(() => redis.stop());
    const orch = await orchestrator({}, redis.url);
    await redis.kill();
    const body = await waitFor(
      async () => {
        const res = await fetch(`${orch.url}/ready`);
        return res.status === 503 ? ((await res.json()) as Ready) : undefined;
      },
      { timeoutMs: 30_000, what: '/ready to answer 503' },
    );
    expect(body.checks.redis).toEqual({ ok: false, message: 'unreachable (see the orchestrator log)' });
    const port = new URL(redis.url).port;
    expect(JSON.stringify(body)).not.toContain(port);
    // The operator still finds the reason in the log.
    await waitFor(async () => orch.output().includes('readiness check: Redis unreachable'), { timeoutMs: 10_000, what: 'the log line' });
  }, 60_000);

  it("bull-board's read-only board refuses Redis details to a viewer; the admin board shows them", async () => {
    const orch = await orchestrator();
    const viewer = await createKey(orch.url, 'viewer');
    const stats = await fetch(`${orch.url}/ui/bull/api/redis/stats`, { headers: bearer(viewer.key) });
    expect(stats.status).toBe(403);
    expect(await stats.text()).not.toMatch(/redis_version|"version"|"port"/);
    const queues = await fetch(`${orch.url}/ui/bull/api/queues`, { headers: bearer(viewer.key) });
    expect(queues.status).toBe(200); // the board itself still works for the viewer
    const admin = await fetch(`${orch.url}/ui/bull-admin/api/redis/stats`, { headers: bearer(BOOTSTRAP) });
    expect(admin.status).toBe(200);
    expect(((await admin.json()) as { version: string }).version).toMatch(/^\d+\.\d+/);
  }, 60_000);
});

describe('the session cookie behind a TLS-terminating proxy', () => {
  const open = async (url: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}/v1/session`, { method: 'POST', headers: { ...bearer(BOOTSTRAP), ...headers } });
    expect(res.status).toBe(201);
    return res.headers.get('set-cookie') ?? '';
  };

  it('is Secure when a trusted proxy says https, and a client that is not a trusted proxy cannot claim it', async () => {
    const trusted = await orchestrator({ BATON_TRUST_PROXY: '127.0.0.1' });
    expect(await open(trusted.url, { 'x-forwarded-proto': 'https' })).toMatch(/; Secure/);
    expect(await open(trusted.url)).not.toMatch(/Secure/);
    const other = await orchestrator({ BATON_TRUST_PROXY: '10.9.8.7' });
    expect(await open(other.url, { 'x-forwarded-proto': 'https' })).not.toMatch(/Secure/);
  }, 60_000);
});

describe('an API key on the CLI command line', () => {
  it('is read from --api-key-file or BATON_API_KEY; --api-key still works but warns that ps shows it', async () => {
    const orch = await orchestrator();
    const admin = await createKey(orch.url, 'admin');
    const file = join(scratch(stack, 'cli-key'), 'key');
    writeFileSync(file, `${admin.key}\n`, { mode: 0o600 });
    const cli = (args: string[], env: Record<string, string> = {}) =>
      promisify(execFile)(process.execPath, [join(REPO_ROOT, ENTRYPOINTS.cli), '--url', orch.url, ...args], { env: { ...process.env, BATON_API_KEY: '', BATON_API_KEY_FILE: '', NO_COLOR: '1', ...env } }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
    const fromFile = await cli(['--api-key-file', file, '--json', 'keys', 'ls']);
    expect([fromFile.code, fromFile.stderr]).toEqual([0, '']);
    expect(fromFile.stdout).toContain(admin.id);
    const fromEnv = await cli(['--json', 'keys', 'ls'], { BATON_API_KEY: admin.key });
    expect([fromEnv.code, fromEnv.stderr]).toEqual([0, '']);
    const onLine = await cli(['--api-key', admin.key, '--json', 'keys', 'ls']);
    expect(onLine.code).toBe(0);
    expect(onLine.stderr).toContain('warning: --api-key is visible');
    const both = await cli(['--api-key', admin.key, '--api-key-file', file, 'keys', 'ls']);
    expect(both.code).toBe(2);
    const missing = await cli(['--api-key-file', join(file, 'nope'), 'keys', 'ls']);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining('cannot read --api-key-file')]);
  }, 60_000);
});
