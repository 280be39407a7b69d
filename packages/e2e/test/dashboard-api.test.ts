import { noopAgent } from '@baton/agent-noop';
import type { CreatedKey, QueueThroughput, RunView, SessionCreated, Whoami } from '@baton/contracts';
import { useTestStack, waitFor, type Harness } from '@baton/testing';
import { describe, expect, it } from 'vitest';

const stack = useTestStack();
const BOOTSTRAP = `boot-${'s'.repeat(40)}`;

async function authed(): Promise<Harness> {
  const h = await stack.harness({}, { auth: { mode: 'required', bootstrapAdminKey: BOOTSTRAP } });
  h.headers = { authorization: `Bearer ${BOOTSTRAP}` };
  return h;
}

async function newKey(h: Harness, role: string): Promise<CreatedKey> {
  return (await h.request<CreatedKey>('POST', '/v1/keys', { name: `k-${role}`, role })).body;
}

/** Opens a session with a key; returns the cookie header to send. */
async function openSession(h: Harness, key: string): Promise<{ cookie: string; setCookie: string; body: SessionCreated }> {
  const res = await h.app.inject({ method: 'POST', url: '/v1/session', headers: { authorization: `Bearer ${key}` } });
  expect(res.statusCode).toBe(201);
  const setCookie = String(res.headers['set-cookie']);
  return { cookie: setCookie.split(';')[0]!, setCookie, body: JSON.parse(res.body) as SessionCreated };
}

describe('dashboard sessions', () => {
  it('trade a key for an HttpOnly SameSite=Strict cookie that carries its role, and end with the key', async () => {
    const h = await authed();
    const viewer = await newKey(h, 'viewer');
    const { cookie, setCookie, body } = await openSession(h, viewer.key);
    expect(setCookie).toMatch(/^baton_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(body).toMatchObject({ role: 'viewer', keyId: viewer.id, auth: 'required', via: 'header' });
    expect(body.allowed).toContain('GET /v1/runs');
    expect(body.allowed).not.toContain('POST /v1/runs');
    // Only a hash of the token is stored.
    const stored = (await stack.redis.command('KEYS', `{${h.ns}}:session:*`)) as string[];
    expect(stored).toHaveLength(1);
    expect(stored[0]).not.toContain(cookie.split('=')[1]);

    const me = await h.app.inject({ method: 'GET', url: '/v1/whoami', headers: { cookie } });
    expect((JSON.parse(me.body) as Whoami)).toMatchObject({ role: 'viewer', via: 'session' });
    expect((await h.app.inject({ method: 'POST', url: '/v1/runs', headers: { cookie, 'content-type': 'application/json' }, payload: '{"pipeline":"demo"}' })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: '/v1/runs', headers: { cookie: 'baton_session=not-a-token' } })).statusCode).toBe(401);

    await h.request('POST', `/v1/keys/${viewer.id}/revoke`);
    const revoked = await h.app.inject({ method: 'GET', url: '/v1/runs', headers: { cookie } });
    expect(revoked.statusCode).toBe(401);
    expect(revoked.body).toContain('revoked');
  });

  it('refuse changes from another origin, and end on sign-out', async () => {
    const h = await authed();
    await h.agent(noopAgent);
    const operator = await newKey(h, 'operator');
    const { cookie } = await openSession(h, operator.key);
    const run = await h.submit({ definition: { stages: [{ name: 'slow', agent: 'noop', input: { ms: 60_000 } }] } });
    const pause = (headers: Record<string, string>) => h.app.inject({ method: 'POST', url: `/v1/runs/${run.id}/pause`, headers: { cookie, host: 'baton.test', ...headers } });
    const evil = await pause({ origin: 'https://evil.example' });
    expect(evil.statusCode).toBe(403);
    expect(evil.body).toContain('origin');
    expect((await pause({ 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    expect((await pause({ origin: 'http://baton.test' })).statusCode).toBe(200);

    const out = await h.app.inject({ method: 'DELETE', url: '/v1/session', headers: { cookie } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await h.app.inject({ method: 'GET', url: '/v1/whoami', headers: { cookie } })).statusCode).toBe(401);
  });

  it('say who the caller is when authentication is disabled (everyone is admin)', async () => {
    const h = await stack.harness();
    const me = JSON.parse((await h.app.inject({ method: 'GET', url: '/v1/whoami' })).body) as Whoami;
    expect(me).toMatchObject({ role: 'admin', auth: 'disabled', via: 'none' });
    expect(me.allowed).toContain('PUT /v1/pipelines/:name');
  });
});

describe('dashboard files and feeds', () => {
  it('serve the SPA under /ui/ with its own CSP, and only its modules', async () => {
    const h = await authed();
    const page = await h.app.inject({ method: 'GET', url: '/ui/runs/run_01ARZ3NDEKTSV4RRFFQ69G5FAV' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('/ui/js/main.js');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).not.toContain('unsafe');
    const js = await h.app.inject({ method: 'GET', url: '/ui/js/main.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toContain('javascript');
    // @baton/client, which the pages import through the page's import map (allowed by its hash).
    expect(page.body).toContain('"@baton/client": "/ui/js/client/index.js"');
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/]+=*';/);
    const client = await h.app.inject({ method: 'GET', url: '/ui/js/client/index.js' });
    expect(client.statusCode).toBe(200);
    expect(client.headers['content-type']).toContain('javascript');
    expect(client.body).toContain('BatonClient');
    const declarations = await h.app.inject({ method: 'GET', url: '/ui/js/client/index.d.ts' });
    expect(declarations.statusCode >= 400 || declarations.body.startsWith('<!doctype html>')).toBe(true);
    // Declarations, build info and anything outside the package: refused, or the SPA's page instead of the file.
    for (const url of ['/ui/js/main.d.ts', '/ui/js/../.tsbuildinfo', '/ui/js/%2e%2e/%2e%2e/package.json', '/ui/js/..%2f..%2fpackage.json']) {
      const res = await h.app.inject({ method: 'GET', url });
      expect(res.statusCode >= 400 || res.body.startsWith('<!doctype html>'), `${url}: ${res.statusCode} ${res.body.slice(0, 80)}`).toBe(true);
      expect(res.body).not.toContain('"@baton/dashboard"');
    }
    expect((await h.app.inject({ method: 'GET', url: '/' })).headers.location).toBe('/ui/');
    // bull-board's pages are not static files of ours: they need a key, with or without the trailing slash.
    for (const url of ['/ui/bull', '/ui/bull/', '/ui/bull-admin', '/ui/bull-admin/', '/ui/bull/static/js/nothing.js']) {
      expect((await h.app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
    }
    const board = await h.app.inject({ method: 'GET', url: '/ui/bull/', headers: { authorization: `Bearer ${BOOTSTRAP}` } });
    expect(board.statusCode).toBe(200);
    expect(board.body).toContain('Baton queues (read-only)');
  });

  it('ring a doorbell naming changed runs on GET /v1/runs/changes, and count finished stages per type', async () => {
    const h = await stack.harness();
    await h.agent(noopAgent);
    const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const abort = new AbortController();
    stack.defer(async () => abort.abort());
    const res = await fetch(`${base}/v1/runs/changes`, { signal: abort.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const pump = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        text += new TextDecoder().decode(value);
      }
    })();
    await waitFor(async () => text.includes('event: hello'), { what: 'hello event' });
    const run = await h.submit({ pipeline: 'demo' });
    await waitFor(async () => text.includes('event: changed') && text.includes(run.id), { what: 'changed event naming the run' });
    await h.waitRun(run.id);
    abort.abort();
    await pump;

    const t = (await h.request<QueueThroughput>('GET', '/v1/queues/throughput')).body;
    const noop = t.items.find((i) => i.type === 'noop');
    expect(noop?.finished.succeeded).toBe((await h.run(run.id)).stages.length);
    expect(t.items.map((i) => i.type)).toContain('scaffold'); // every known type, even idle
    expect((await h.run(run.id) as RunView).stages[0]!.input).toBeDefined();
  });
});
