import { request } from 'node:http';
import type { ApiErrorBody, CreatedKey } from '@baton/contracts';
import { spawnOrchestrator, testNamespace, useTestStack } from '@baton/testing';
import { describe, expect, it } from 'vitest';

/** Issue 14, findings 4, 5, 12: attacks on authentication against a real orchestrator process. */
const stack = useTestStack();
const BOOTSTRAP = `boot-${'b'.repeat(40)}`;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** fetch() cannot send a Host header of its own choosing; node:http can. */
function rawRequest(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function orchestrator(env: Record<string, string>) {
  const orch = await spawnOrchestrator(stack.redis.url, testNamespace(), { BATON_AUTH: 'required', BATON_BOOTSTRAP_ADMIN_KEY: BOOTSTRAP, ...env });
  stack.defer(() => orch.kill());
  return orch;
}

async function createKey(url: string, name: string, role: string): Promise<CreatedKey> {
  const res = await fetch(`${url}/v1/keys`, { method: 'POST', headers: { ...bearer(BOOTSTRAP), 'content-type': 'application/json' }, body: JSON.stringify({ name, role }) });
  expect(res.status).toBe(201);
  return (await res.json()) as CreatedKey;
}

const codeOf = (body: string) => (JSON.parse(body) as ApiErrorBody).error.code;

describe('attack: a cross-origin request through a bootstrap-key session (finding 4)', () => {
  it('is refused with 403, while the same request from the dashboard origin works', async () => {
    const orch = await orchestrator({});
    const opened = await fetch(`${orch.url}/v1/session`, { method: 'POST', headers: bearer(BOOTSTRAP) });
    expect(opened.status).toBe(201);
    const cookie = opened.headers.get('set-cookie')!.split(';')[0]!;
    const victim = await createKey(orch.url, 'victim', 'viewer');
    const host = new URL(orch.url).host;
    // A page on another port of the same host (SameSite does not separate ports) revokes a key.
    const evil = await rawRequest(`${orch.url}/v1/keys/${victim.id}/revoke`, 'POST', { cookie, origin: 'http://127.0.0.1:1', host });
    expect(evil.status).toBe(403);
    expect(codeOf(evil.body)).toBe('FORBIDDEN');
    expect((await fetch(`${orch.url}/v1/runs`, { headers: bearer(victim.key) })).status).toBe(200);
    const own = await rawRequest(`${orch.url}/v1/keys/${victim.id}/revoke`, 'POST', { cookie, origin: `http://${host}`, host });
    expect(own.status).toBe(200);
  });
});

describe('attack: a flood of forged bearers (finding 5)', () => {
  it('does not lock the victim out, limits fresh fake ids, and does not flush the audit log', async () => {
    const orch = await orchestrator({ BATON_RATE_LIMIT_MAX: '50', BATON_AUDIT_DENIED_PER_MINUTE: '10' });
    const victim = await createKey(orch.url, 'victim', 'viewer');
    const forged = `bk_${victim.id}_${'x'.repeat(43)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 120; i++) statuses.push((await fetch(`${orch.url}/v1/runs`, { headers: bearer(forged) })).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set([401, 429]));
    // The victim's own key still works: the forger was counted against its address, not the victim's key.
    expect((await fetch(`${orch.url}/v1/runs`, { headers: bearer(victim.key) })).status).toBe(200);
    // A fresh fake id per request shares that address bucket.
    const fresh = await fetch(`${orch.url}/v1/runs`, { headers: bearer(`bk_${'0123456789ab'}_${'y'.repeat(43)}`) });
    expect(fresh.status).toBe(429);
    // The audit log holds the key creation, a bounded number of denied entries, and no more.
    const audit = await fetch(`${orch.url}/v1/audit?limit=200`, { headers: bearer(BOOTSTRAP) });
    const items = ((await audit.json()) as { items: { outcome: string; route: string }[] }).items;
    expect(items.filter((e) => e.outcome === 'denied').length).toBeLessThanOrEqual(12);
    expect(items.some((e) => e.route === 'POST /v1/keys' || e.route === '/v1/keys')).toBe(true);
  });
});

describe('attack: DNS rebinding against the dev stack without auth (finding 12)', () => {
  it('refuses a foreign Host with 403 and serves loopback names', async () => {
    const orch = await spawnOrchestrator(stack.redis.url, testNamespace());
    stack.defer(() => orch.kill());
    const body = JSON.stringify({ pipeline: 'nope', input: {} });
    const rebound = await rawRequest(`${orch.url}/v1/runs`, 'POST', { host: `attacker.example:${orch.port}`, 'content-type': 'application/json' }, body);
    expect(rebound.status).toBe(403);
    expect(codeOf(rebound.body)).toBe('FORBIDDEN');
    for (const host of [`127.0.0.1:${orch.port}`, `localhost:${orch.port}`]) {
      expect((await rawRequest(`${orch.url}/v1/runs`, 'GET', { host })).status).toBe(200);
    }
  });
});
