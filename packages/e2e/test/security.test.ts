import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import { AGENT_RECORD_TTL_MS, PROTOCOL_VERSION, type ApiErrorBody, type ArtifactList, type CreatedKey, type RunView } from '@baton/contracts';
import { DEFAULT_AUTH, PERMISSIONS, signTimestamped, startOrchestrator, type AuthConfig } from '@baton/orchestrator';
import { noopAgent } from '@baton/agent-noop';
import { keys } from '@baton/contracts';
import { createLogger, RedisEnv, redisConfigFromEnv } from '@baton/platform';
import { defineAgent, startAgent } from '@baton/runtime';
import { ENTRYPOINTS, FAST_ENGINE, freePort, type Harness, http, REPO_ROOT, parsePromText, promSum, spawnAgent, spawnOrchestrator, testNamespace, testOrchestrator, useTestStack, waitFor } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const stack = useTestStack();
const BOOTSTRAP = `boot-${'k'.repeat(40)}`;
const HOOK_SECRET = 'hook-secret-'.padEnd(40, 'h');
/** The secret part of `bk_<12 hex id>_<secret>` (base64url: it may itself contain "_"). */
const secretOf = (key: string) => key.slice('bk_000000000000_'.length);
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

function auth(extra: Partial<AuthConfig> = {}): Partial<AuthConfig> {
  return { mode: 'required', bootstrapAdminKey: BOOTSTRAP, rateLimit: { max: 100_000, windowMs: 60_000 }, deniedAuditPerMinute: 100_000, ...extra };
}

const reporter = defineAgent({
  type: 'reporter',
  input: z.object({}),
  output: z.object({}),
  async handler({ artifacts }) {
    await artifacts.save('report.txt', 'ok');
    return {};
  },
});

/** Writes a heartbeat for an agent that exists only in the registry (control messages to it go nowhere). */
async function fakeAgent(h: Harness, id: string, type: string): Promise<void> {
  const now = new Date().toISOString();
  const hb = { protocol: PROTOCOL_VERSION, id, type, host: 'test', pid: 1, version: '0.1.0', concurrency: 1, state: 'running', active: [], lastTaskAt: null, startedAt: now, beatAt: now, intervalMs: 3_600_000, eventLoopBlockedMs: 0, metricsPort: null };
  await stack.redis.command('SET', h.keys.agent(id), JSON.stringify(hb), 'PX', AGENT_RECORD_TTL_MS);
  await stack.redis.command('ZADD', h.keys.agents(), Date.now(), id);
  await stack.redis.command('HSET', h.keys.agentTypes(), type, JSON.stringify({ type, protocol: 1, version: '0.1.0', description: '', inputSchema: null, outputSchema: null, registeredAt: now }));
}

type Identity = 'none' | 'malformed' | 'unknown' | 'revoked' | 'expired' | 'viewer' | 'submitter' | 'operator' | 'admin';
const IDENTITIES: Identity[] = ['none', 'malformed', 'unknown', 'revoked', 'expired', 'viewer', 'submitter', 'operator', 'admin'];
const ROLE_RANK: Record<string, number> = { viewer: 0, submitter: 1, operator: 2, admin: 3 };

/** The roles as the issue defines them, written independently of the permission table. */
function roleFromIssue(route: string): string {
  const [method, path] = route.split(' ') as [string, string];
  // bull-board (issue 7): job-level inspection for every role, read-only except for admins.
  if (path.startsWith('/ui/bull-admin/')) return 'admin';
  if (path.startsWith('/ui/bull/')) return method === 'GET' ? 'viewer' : 'admin';
  // The dashboard's static files carry no data; whoever it is, it signs in with a key (any role).
  if (method === 'GET' && (path === '/' || path === '/ui' || path.startsWith('/ui/'))) return 'public';
  if (path === '/v1/whoami' || path === '/v1/session') return 'viewer';
  if (['/health', '/ready', '/metrics'].includes(path) || path.startsWith('/docs')) return 'public';
  // Webhook deliveries (issue 17): the signature is the credential, no API key.
  if (route === 'POST /v1/hooks/:name') return 'public';
  // Triggers, schedules and notifications: read by any role, defined by admins (they hold secrets and start runs),
  // schedules paused/resumed and deliveries redelivered by operators.
  if (/^\/v1\/(triggers|schedules|notifications)/.test(path) && (method === 'PUT' || method === 'DELETE')) return 'admin';
  if (path.startsWith('/v1/keys') || path === '/v1/audit' || (method === 'PUT' && path.startsWith('/v1/pipelines'))) return 'admin'; // keys, pipelines
  if (method === 'GET') return 'viewer'; // read
  if (route === 'POST /v1/runs' || route === 'POST /v1/runs/:id/cancel') return 'submitter'; // submit, cancel own runs
  if (path.startsWith('/v1/runs/:id/stages/')) return 'submitter'; // approve/reject: the stage's approvers decide (issue 16)
  if (path.startsWith('/v1/runs/:id/signals/')) return 'submitter'; // signals (issue 16)
  return 'operator'; // pause/resume/retry/drain/restart
}

describe('authentication and roles', () => {
  it('grant what the issue says each role may do', () => {
    for (const [route, needed] of Object.entries(PERMISSIONS)) expect({ route, needed }).toEqual({ route, needed: roleFromIssue(route) });
  });

  it('answer exactly 401, 403 or 2xx for every identity on every route, and audit every mutating or denied request', async () => {
    const h = await stack.harness({}, { auth: auth(), secrets: { BATON_SECRET_HOOK: HOOK_SECRET } });
    h.headers = bearer(BOOTSTRAP);
    await h.agent(reporter);
    let audited = 0;
    let n = 0;
    const call = async (method: string, url: string, headers: Record<string, string>, body?: unknown) => {
      const res = await h.app.inject({
        method: method as 'GET',
        url,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      if (method !== 'GET' || [401, 403, 429].includes(res.statusCode)) audited++;
      return res;
    };
    // A webhook delivery: a signed raw body (the API key, if any, is ignored).
    const rawCall = async (url: string, headers: Record<string, string>, payload: string) => {
      const res = await h.app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': 'application/json' }, payload });
      audited++;
      return res;
    };
    const admin = bearer(BOOTSTRAP);
    const json = <T>(r: { body: string }) => JSON.parse(r.body) as T;
    const newKey = async (role: string, extra: Record<string, unknown> = {}) => json<CreatedKey>(await call('POST', '/v1/keys', admin, { name: `${role}-${++n}`, role, ...extra }));

    const ids: Record<Identity, Record<string, string>> = {
      none: {},
      malformed: { authorization: 'Bearer not-a-key' },
      unknown: bearer(`bk_000000000000_${'A'.repeat(43)}`),
      revoked: {},
      expired: {},
      viewer: bearer((await newKey('viewer')).key),
      submitter: bearer((await newKey('submitter')).key),
      operator: bearer((await newKey('operator')).key),
      admin: bearer((await newKey('admin')).key),
    };
    const revoked = await newKey('operator');
    await call('POST', `/v1/keys/${revoked.id}/revoke`, admin);
    ids.revoked = bearer(revoked.key);
    const expiring = await newKey('admin', { expiresAt: new Date(Date.now() + 1500).toISOString() });
    ids.expired = bearer(expiring.key);
    await waitFor(async () => (await call('GET', '/v1/runs', ids.expired)).statusCode === 401, { what: 'key expiry', timeoutMs: 10_000 });

    // Fixtures: a finished run with an artifact, agents that exist in the registry, a fleet drain record.
    const submit = async (headers: Record<string, string>) => json<RunView>(await call('POST', '/v1/runs', headers, { definition: { stages: [{ name: 's', agent: 'noop' }] } })).id;
    const gate = { name: 'gate', approval: { approvers: { roles: ['submitter'] }, allowSelfApproval: true } };
    const gated = async () => json<RunView>(await call('POST', '/v1/runs', admin, { definition: { stages: [gate] } })).id;
    const signalled = async () => json<RunView>(await call('POST', '/v1/runs', admin, { definition: { stages: [{ name: 'hook', waitFor: { signal: 'ready' } }] } })).id;
    const doneRun = json<RunView>(await call('POST', '/v1/runs', admin, { definition: { stages: [{ name: 'r', agent: 'reporter' }] } })).id;
    await h.waitRun(doneRun);
    const artifact = json<ArtifactList>(await call('GET', `/v1/runs/${doneRun}/artifacts`, admin)).items[0]!.id;
    await fakeAgent(h, 'fake-1', 'fakeagent');
    await fakeAgent(h, 'fleet-get-1', 'fleet-get');
    await call('POST', '/v1/fleets/fleet-get/drain', admin);
    // Triggers, schedules and notifications to read, pause and redeliver.
    expect((await call('PUT', '/v1/pipelines/hooked', admin, { stages: [{ name: 's', agent: 'noop' }] })).statusCode).toBe(201);
    const trigger = () => ({ source: 'generic', secret: { env: 'BATON_SECRET_HOOK' }, pipeline: 'hooked' });
    const schedule = { cron: '0 0 1 1 *', pipeline: 'hooked' };
    const notification = { events: ['run.failed'], target: { type: 'slack', url: 'http://127.0.0.1:9/nowhere' } };
    await call('PUT', '/v1/triggers/t-read', admin, trigger());
    await call('PUT', '/v1/schedules/s-read', admin, schedule);
    await call('PUT', '/v1/notifications/n-read', admin, notification);
    await call('PUT', '/v1/notifications/n-dead', admin, { ...notification, events: ['run.cancelled'] });
    const cancelled = json<RunView>(await call('POST', '/v1/runs', admin, { pipeline: 'hooked' })).id;
    await call('POST', `/v1/runs/${cancelled}/cancel`, admin);
    const deliveryId = await waitFor(async () => json<{ items: { deliveryId: string }[] }>(await call('GET', '/v1/notifications/n-dead/deliveries', admin)).items[0]?.deliveryId, { what: 'a delivery to redeliver' });
    const hookBody = JSON.stringify({ ref: 'refs/heads/main' });

    type Req = { method: string; url: string; body?: unknown; stream?: boolean; raw?: string; headers?: Record<string, string> };
    const ROUTES: Record<string, (who: Identity) => Promise<Req>> = {
      'GET /health': async () => ({ method: 'GET', url: '/health' }),
      'GET /ready': async () => ({ method: 'GET', url: '/ready' }),
      'GET /docs': async () => ({ method: 'GET', url: '/docs' }),
      'GET /docs/json': async () => ({ method: 'GET', url: '/docs/json' }),
      'GET /metrics': async () => ({ method: 'GET', url: '/metrics' }),
      'GET /v1/runs': async () => ({ method: 'GET', url: '/v1/runs' }),
      'GET /v1/runs/:id': async () => ({ method: 'GET', url: `/v1/runs/${doneRun}` }),
      'GET /v1/runs/:id/events': async () => ({ method: 'GET', url: `/v1/runs/${doneRun}/events` }),
      'GET /v1/runs/:id/artifacts': async () => ({ method: 'GET', url: `/v1/runs/${doneRun}/artifacts` }),
      'GET /v1/runs/:id/artifacts/:artifactId': async () => ({ method: 'GET', url: `/v1/runs/${doneRun}/artifacts/${artifact}` }),
      'GET /v1/agents': async () => ({ method: 'GET', url: '/v1/agents' }),
      'GET /v1/pipelines': async () => ({ method: 'GET', url: '/v1/pipelines' }),
      'GET /v1/pipelines/:name': async () => ({ method: 'GET', url: '/v1/pipelines/demo' }),
      'GET /v1/queues': async () => ({ method: 'GET', url: '/v1/queues' }),
      'GET /v1/fleets/:type/drain': async () => ({ method: 'GET', url: '/v1/fleets/fleet-get/drain' }),
      'POST /v1/runs': async () => ({ method: 'POST', url: '/v1/runs', body: { definition: { stages: [{ name: 's', agent: 'noop' }] } } }),
      // A submitter cancels its own run; everyone else a run the admin submitted.
      'POST /v1/runs/:id/cancel': async (who) => ({ method: 'POST', url: `/v1/runs/${await submit(who === 'submitter' ? ids.submitter : admin)}/cancel` }),
      'POST /v1/runs/:id/pause': async () => ({ method: 'POST', url: `/v1/runs/${await submit(admin)}/pause` }),
      'POST /v1/runs/:id/resume': async () => {
        const id = await submit(admin);
        await call('POST', `/v1/runs/${id}/pause`, admin);
        return { method: 'POST', url: `/v1/runs/${id}/resume` };
      },
      'POST /v1/runs/:id/retry': async () => {
        const id = await submit(admin);
        await call('POST', `/v1/runs/${id}/cancel`, admin);
        return { method: 'POST', url: `/v1/runs/${id}/retry` };
      },
      'GET /v1/runs/:id/stages/:stage/logs': async () => ({ method: 'GET', url: `/v1/runs/${doneRun}/stages/r/logs`, stream: true }),
      'GET /v1/runs/:id/stages/:stage/logs/page': async () => ({ method: 'GET', url: `/v1/runs/${doneRun}/stages/r/logs/page` }),
      'POST /v1/runs/:id/fork': async () => ({ method: 'POST', url: `/v1/runs/${doneRun}/fork`, body: { fromStage: 'r' } }),
      'POST /v1/runs/bulk/cancel': async () => ({ method: 'POST', url: '/v1/runs/bulk/cancel', body: { filter: { label: 'nothing:here' } } }),
      'POST /v1/runs/bulk/retry': async () => ({ method: 'POST', url: '/v1/runs/bulk/retry', body: { filter: { label: 'nothing:here' }, dryRun: true } }),
      // A fresh run waiting at a gate that lets any key from submitter up decide (the admin submitted it).
      'POST /v1/runs/:id/stages/:stage/approve': async () => ({ method: 'POST', url: `/v1/runs/${await gated()}/stages/gate/approve`, body: { comment: 'ok' } }),
      'POST /v1/runs/:id/stages/:stage/reject': async () => ({ method: 'POST', url: `/v1/runs/${await gated()}/stages/gate/reject` }),
      'POST /v1/runs/:id/signals/:name': async () => ({ method: 'POST', url: `/v1/runs/${await signalled()}/signals/ready`, body: { payload: { ok: true } } }),
      'POST /v1/agents/:id/drain': async () => ({ method: 'POST', url: '/v1/agents/fake-1/drain' }),
      'POST /v1/agents/:id/restart': async () => ({ method: 'POST', url: '/v1/agents/fake-1/restart' }),
      'POST /v1/fleets/:type/drain': async () => {
        const type = `fleet-${++n}`;
        await fakeAgent(h, `${type}-a`, type);
        return { method: 'POST', url: `/v1/fleets/${type}/drain` };
      },
      'POST /v1/queues/:type/pause': async () => ({ method: 'POST', url: '/v1/queues/reporter/pause' }),
      'POST /v1/queues/:type/resume': async () => ({ method: 'POST', url: '/v1/queues/reporter/resume' }),
      'PUT /v1/pipelines/:name': async () => ({ method: 'PUT', url: `/v1/pipelines/p-${++n}`, body: { stages: [{ name: 'a', agent: 'noop' }] } }),
      'GET /v1/keys': async () => ({ method: 'GET', url: '/v1/keys' }),
      'POST /v1/keys': async () => ({ method: 'POST', url: '/v1/keys', body: { name: `k-${++n}`, role: 'viewer' } }),
      'POST /v1/keys/:id/revoke': async () => ({ method: 'POST', url: `/v1/keys/${(await newKey('viewer')).id}/revoke` }),
      'GET /v1/audit': async () => ({ method: 'GET', url: '/v1/audit' }),
      'GET /': async () => ({ method: 'GET', url: '/' }),
      'GET /ui': async () => ({ method: 'GET', url: '/ui' }),
      'GET /ui/*': async () => ({ method: 'GET', url: '/ui/runs' }),
      'GET /v1/whoami': async () => ({ method: 'GET', url: '/v1/whoami' }),
      'POST /v1/session': async () => ({ method: 'POST', url: '/v1/session' }),
      'DELETE /v1/session': async () => ({ method: 'DELETE', url: '/v1/session' }),
      'GET /v1/runs/changes': async () => ({ method: 'GET', url: '/v1/runs/changes', stream: true }),
      'GET /v1/queues/throughput': async () => ({ method: 'GET', url: '/v1/queues/throughput' }),
      'GET /v1/overview': async () => ({ method: 'GET', url: '/v1/overview' }),
      'GET /ui/bull/*': async () => ({ method: 'GET', url: '/ui/bull/api/queues' }),
      // The read-only board refuses changes even to admins (405 from bull-board, after authorization).
      '* /ui/bull/*': async () => ({ method: 'PUT', url: '/ui/bull/api/queues/reporter/pause' }),
      'GET /ui/bull-admin/*': async () => ({ method: 'GET', url: '/ui/bull-admin/api/queues' }),
      '* /ui/bull-admin/*': async () => ({ method: 'PUT', url: '/ui/bull-admin/api/queues/reporter/resume' }),
      'POST /v1/hooks/:name': async () => ({ method: 'POST', url: '/v1/hooks/t-read', raw: hookBody, headers: { 'x-baton-event': 'push', 'x-baton-delivery': `d-${++n}`, 'x-baton-signature': signTimestamped(HOOK_SECRET, hookBody, Date.now() / 1000) } }),
      'GET /v1/triggers': async () => ({ method: 'GET', url: '/v1/triggers' }),
      'GET /v1/triggers/:name': async () => ({ method: 'GET', url: '/v1/triggers/t-read' }),
      'PUT /v1/triggers/:name': async () => ({ method: 'PUT', url: `/v1/triggers/t-${++n}`, body: trigger() }),
      'DELETE /v1/triggers/:name': async () => {
        const name = `t-${++n}`;
        await call('PUT', `/v1/triggers/${name}`, admin, trigger());
        return { method: 'DELETE', url: `/v1/triggers/${name}` };
      },
      'GET /v1/schedules': async () => ({ method: 'GET', url: '/v1/schedules' }),
      'GET /v1/schedules/:name': async () => ({ method: 'GET', url: '/v1/schedules/s-read' }),
      'PUT /v1/schedules/:name': async () => ({ method: 'PUT', url: `/v1/schedules/s-${++n}`, body: schedule }),
      'DELETE /v1/schedules/:name': async () => {
        const name = `s-${++n}`;
        await call('PUT', `/v1/schedules/${name}`, admin, schedule);
        return { method: 'DELETE', url: `/v1/schedules/${name}` };
      },
      'POST /v1/schedules/:name/pause': async () => ({ method: 'POST', url: '/v1/schedules/s-read/pause' }),
      'POST /v1/schedules/:name/resume': async () => ({ method: 'POST', url: '/v1/schedules/s-read/resume' }),
      'GET /v1/notifications': async () => ({ method: 'GET', url: '/v1/notifications' }),
      'GET /v1/notifications/:name': async () => ({ method: 'GET', url: '/v1/notifications/n-read' }),
      'PUT /v1/notifications/:name': async () => ({ method: 'PUT', url: `/v1/notifications/n-${++n}`, body: notification }),
      'DELETE /v1/notifications/:name': async () => {
        const name = `n-${++n}`;
        await call('PUT', `/v1/notifications/${name}`, admin, notification);
        return { method: 'DELETE', url: `/v1/notifications/${name}` };
      },
      'GET /v1/notifications/:name/deliveries': async () => ({ method: 'GET', url: '/v1/notifications/n-dead/deliveries' }),
      'POST /v1/notifications/:name/deliveries/:deliveryId/redeliver': async () => ({ method: 'POST', url: `/v1/notifications/n-dead/deliveries/${deliveryId}/redeliver` }),
    };
    // A never-ending stream (SSE) is called over a socket: its status, then hang up.
    const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const streamStatus = async (url: string, headers: Record<string, string>) => {
      const abort = new AbortController();
      const res = await fetch(`${base}${url}`, { headers, signal: abort.signal });
      const body = res.status < 300 ? '' : await res.text();
      abort.abort();
      if (res.status >= 400) audited++;
      return { statusCode: res.status, body };
    };
    // Every route in the permission table is covered (the /docs asset globs aside).
    const covered = new Set(Object.keys(ROUTES));
    expect(Object.keys(PERMISSIONS).filter((r) => !covered.has(r) && !r.startsWith('GET /docs/'))).toEqual([]);

    const mismatches: string[] = [];
    for (const [route, prepare] of Object.entries(ROUTES)) {
      const needed = route === 'GET /metrics' ? 'public' : PERMISSIONS[route]!;
      for (const who of IDENTITIES) {
        const req = await prepare(who);
        const res = req.stream
          ? await streamStatus(req.url, ids[who])
          : req.raw !== undefined
            ? await rawCall(req.url, { ...ids[who], ...req.headers }, req.raw)
            : await call(req.method, req.url, ids[who], req.body);
        const allowed = route === '* /ui/bull/*' ? '405' : '2xx';
        const expected = needed === 'public' ? allowed : !(who in ROLE_RANK) ? '401' : ROLE_RANK[who]! >= ROLE_RANK[needed]! ? allowed : '403';
        // Redirects (/ and /ui to /ui/) count as success.
        const got = res.statusCode >= 200 && res.statusCode < 400 ? '2xx' : String(res.statusCode);
        if (got !== expected) mismatches.push(`${route} as ${who}: expected ${expected}, got ${res.statusCode} ${res.body.slice(0, 120)}`);
      }
    }
    expect(mismatches).toEqual([]);

    // An approval gate refuses its own submitter (self-approval off) and keys it does not list.
    const strict = json<RunView>(await call('POST', '/v1/runs', ids.operator, { definition: { stages: [{ name: 'gate', approval: {} }] } })).id;
    const selfApproved = await call('POST', `/v1/runs/${strict}/stages/gate/approve`, ids.operator);
    expect(selfApproved.statusCode).toBe(403);
    expect(json<ApiErrorBody>(selfApproved).error.message).toContain('allowSelfApproval');
    expect((await call('POST', `/v1/runs/${strict}/stages/gate/approve`, ids.submitter)).statusCode).toBe(403);
    const approved = await call('POST', `/v1/runs/${strict}/stages/gate/approve`, ids.admin, { comment: 'four eyes' });
    expect(approved.statusCode).toBe(200);
    expect(json<RunView>(approved).stages[0]!.output).toMatchObject({ decision: 'approved', role: 'admin', comment: 'four eyes' });
    const approvalAudit = async () =>
      json<{ items: { route: string; status: number }[] }>(await call('GET', '/v1/audit?limit=50', admin))
        .items.filter((e) => e.route === '/v1/runs/:id/stages/:stage/approve')
        .map((e) => e.status)
        .slice(0, 3);
    await waitFor(async () => (await approvalAudit())[0] === 200, { what: 'the approval in the audit log', timeoutMs: 10_000 });
    expect(await approvalAudit()).toEqual([200, 403, 403]);
    // A submitter may not cancel someone else's run.
    const others = await submit(ids.operator);
    const denied = await call('POST', `/v1/runs/${others}/cancel`, ids.submitter);
    expect(denied.statusCode).toBe(403);
    expect(json<ApiErrorBody>(denied).error.code).toBe('FORBIDDEN');
    // 401s say why, and ask for a bearer token.
    const revokedRes = await call('GET', '/v1/runs', ids.revoked);
    expect(json<ApiErrorBody>(revokedRes).error.message).toBe('the API key was revoked');
    expect(revokedRes.headers['www-authenticate']).toContain('Bearer');

    // The audit log holds exactly one entry per mutating or denied request made.
    await waitFor(async () => Number(await stack.redis.command('XLEN', h.keys.audit())) === audited, { what: `${audited} audit entries` });
    const audit = json<{ items: { outcome: string; actor: { role: string } | null; presentedKeyId: string | null; status: number }[] }>(await call('GET', '/v1/audit?limit=1000', admin));
    expect(audit.items.length).toBe(audited);
    expect(audit.items.some((e) => e.outcome === 'denied' && e.status === 401 && e.presentedKeyId === revoked.id)).toBe(true);
    expect(audit.items.some((e) => e.outcome === 'denied' && e.status === 403 && e.actor?.role === 'viewer')).toBe(true);
    expect(JSON.stringify(audit)).not.toContain(secretOf(revoked.key));
  }, 240_000);

  it('creates, lists and revokes keys from the CLI', async () => {
    const h = await stack.harness({}, { auth: auth() });
    const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
    // Async: the API serves from this very process.
    const cli = (env: Record<string, string>, ...args: string[]) =>
      promisify(execFile)(process.execPath, [join(REPO_ROOT, 'packages/cli/dist/main.js'), '--url', base, ...args], { env: { ...process.env, NO_COLOR: '1', ...env } }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
    const asAdmin = { BATON_API_KEY: BOOTSTRAP };
    const created = await cli(asAdmin, '--json', 'keys', 'create', '--name', 'ci-bot', '--role', 'submitter', '--expires', '30d');
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as CreatedKey;
    expect(key).toMatchObject({ name: 'ci-bot', role: 'submitter' });
    expect(key.key).toMatch(/^bk_[0-9a-f]{12}_/);
    const listed = await cli(asAdmin, 'keys', 'ls');
    expect(listed.stdout).toContain('ci-bot');
    expect(listed.stdout).not.toContain(secretOf(key.key));
    expect((await cli(asAdmin, 'keys', 'revoke', key.id)).code).toBe(0);
    const after = await cli({}, '--api-key', key.key, 'runs', 'ls');
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('UNAUTHORIZED');
  });

  it('logs a loud warning when authentication is disabled', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (c: Buffer, _e, done) => { lines.push(c.toString()); done(); } });
    const orch = await startOrchestrator({ redis: { url: stack.redis.url, namespace: testNamespace() }, log: createLogger({ name: 't', level: 'info', pretty: false }, sink), engine: FAST_ENGINE, auth: { ...DEFAULT_AUTH, mode: 'disabled' } });
    stack.defer(() => orch.close());
    expect(lines.join('')).toContain('AUTHENTICATION IS DISABLED');
  });
});

describe('rate limits', () => {
  it('answer 429 with Retry-After past the limit, across two orchestrator instances sharing Redis, per key', async () => {
    const limits = auth({ rateLimit: { max: 5, windowMs: 60_000 } });
    const a = await stack.harness({}, { auth: limits });
    const b = await testOrchestrator(stack.redis.url, a.ns, {}, { auth: limits });
    stack.defer(() => b.close());
    const k1 = (JSON.parse((await a.app.inject({ method: 'POST', url: '/v1/keys', headers: { ...bearer(BOOTSTRAP), 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'one', role: 'viewer' }) })).body) as CreatedKey).key;
    const k2 = (JSON.parse((await b.app.inject({ method: 'POST', url: '/v1/keys', headers: { ...bearer(BOOTSTRAP), 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'two', role: 'viewer' }) })).body) as CreatedKey).key;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await (i % 2 ? b.app : a.app).inject({ method: 'GET', url: '/v1/runs', headers: bearer(k1) })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await b.app.inject({ method: 'GET', url: '/v1/runs', headers: bearer(k1) });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((JSON.parse(limited.body) as ApiErrorBody).error.code).toBe('RATE_LIMITED');
    expect((await a.app.inject({ method: 'GET', url: '/v1/runs', headers: bearer(k2) })).statusCode).toBe(200);
    expect((await a.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });
});

describe('metrics protection, headers, CORS and body limits', () => {
  it('protects /metrics with a key, or moves it to the internal port', async () => {
    const h = await stack.harness({}, { auth: auth({ metrics: 'key' }) });
    expect((await h.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: '/metrics', headers: bearer(BOOTSTRAP) })).statusCode).toBe(200);

    const port = await freePort();
    const internal = await startOrchestrator({
      redis: { url: stack.redis.url, namespace: testNamespace() },
      log: createLogger({ name: 't', level: 'silent', pretty: false }),
      engine: FAST_ENGINE,
      metricsPort: port,
      metricsHost: '127.0.0.1',
      auth: { ...DEFAULT_AUTH, ...auth({ metrics: 'internal' }) } as AuthConfig,
    });
    stack.defer(() => internal.close());
    expect((await internal.app.inject({ method: 'GET', url: '/metrics', headers: bearer(BOOTSTRAP) })).statusCode).toBe(404);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(promSum(parsePromText(text), 'baton_redis_ready')).toBe(1);
  });

  it('sets security headers, allows CORS only for configured origins, and limits bodies per route', async () => {
    const h = await stack.harness({}, { auth: auth({ corsOrigins: ['https://ui.example.com'] }) });
    const res = await h.app.inject({ method: 'GET', url: '/v1/runs', headers: bearer(BOOTSTRAP) });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    const ok = await h.app.inject({ method: 'OPTIONS', url: '/v1/runs', headers: { origin: 'https://ui.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    expect(ok.headers['access-control-allow-origin']).toBe('https://ui.example.com');
    const evil = await h.app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://evil.example.com' } });
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();

    const run = (JSON.parse((await h.app.inject({ method: 'POST', url: '/v1/runs', headers: { ...bearer(BOOTSTRAP), 'content-type': 'application/json' }, payload: JSON.stringify({ pipeline: 'demo' }) })).body) as RunView).id;
    const bigCancel = await h.app.inject({ method: 'POST', url: `/v1/runs/${run}/cancel`, headers: { ...bearer(BOOTSTRAP), 'content-type': 'application/json' }, payload: JSON.stringify({ reason: 'x'.repeat(20_000) }) });
    expect(bigCancel.statusCode).toBe(413);
    const bigPipeline = await h.app.inject({ method: 'PUT', url: '/v1/pipelines/huge', headers: { ...bearer(BOOTSTRAP), 'content-type': 'application/json' }, payload: JSON.stringify({ description: 'x', stages: [{ name: 'a', agent: 'noop', input: { pad: 'y'.repeat(300_000) } }] }) });
    expect(bigPipeline.statusCode).toBe(413);
  });
});

describe('Redis access for agents', () => {
  it('works with the least-privilege ACL from the README, which cannot read runs or keys', async ({ skip }) => {
    if (stack.redis.mode !== 'local') skip('needs a local redis-server the test can add ACL users to');
    const ns = testNamespace('acl');
    const t = `{${ns}}`;
    await stack.redis.command(
      'ACL', 'SETUSER', `agent-${ns}`, 'on', '>agent-secret', 'resetkeys', 'resetchannels',
      `~${t}:q:*`, `~${t}:agent:*`, `~${t}:agents`, `~${t}:agent-types`, `~${t}:control:*`, `~${t}:run:*:artifacts`, `~${t}:artifacts:refs`, `%R~${t}:jobs:superseded`,
      'nocommands', '+@read', '+@write', '+@stream', '+@scripting', '+@transaction', '+@connection', '+@keyspace', '-@dangerous', '+info', '+client|setname', '+client|getname', '+client|id', '+time',
    );
    const orch = await spawnOrchestrator(stack.redis.url, ns);
    stack.defer(() => orch.kill());
    const agent = await spawnAgent(ENTRYPOINTS.noop, stack.redis.url, ns, { REDIS_USERNAME: `agent-${ns}`, REDIS_PASSWORD: 'agent-secret' });
    stack.defer(() => agent.kill());
    const run = (await http<RunView>(orch.url, 'POST', '/v1/runs', { pipeline: 'demo' })).body;
    await waitFor(async () => (await http<RunView>(orch.url, 'GET', `/v1/runs/${run.id}`)).body.status === 'succeeded', { what: 'run under ACL' });
    expect(agent.output()).not.toContain('NOPERM');
    const asAgent = `redis://agent-${ns}:agent-secret@${new URL(stack.redis.url).host}`;
    const { Redis } = await import('ioredis');
    const c = new Redis(asAgent, { maxRetriesPerRequest: 0 });
    stack.defer(async () => c.disconnect());
    await expect(c.hget(`${t}:run:${run.id}`, 'doc')).rejects.toThrow(/NOPERM/);
    await expect(c.smembers(`${t}:apikeys`)).rejects.toThrow(/NOPERM/);
    await expect(c.flushall()).rejects.toThrow(/NOPERM/);
  });
});

describe('Redis over TLS', () => {
  it('runs a pipeline with orchestrator and agent connecting through rediss:// and a CA file from config', async ({ skip }) => {
    if (spawnSyncOk('openssl', ['version']) === false || stack.redis.mode !== 'local') skip('needs openssl and a local redis-server built with TLS');
    const dir = mkdtempSync(join(tmpdir(), 'baton-tls-'));
    stack.defer(async () => rmSync(dir, { recursive: true, force: true }));
    const ssl = (...args: string[]) => expect(spawnSyncOk('openssl', args, dir)).toBe(true);
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=baton-test-ca');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost');
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf');
    const port = await freePort();
    const server = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--tls-cert-file', join(dir, 'server.crt'), '--tls-key-file', join(dir, 'server.key'), '--tls-ca-cert-file', join(dir, 'ca.crt'), '--tls-auth-clients', 'no', '--save', '', '--maxmemory-policy', 'noeviction', '--dir', dir], { stdio: 'ignore' });
    stack.defer(async () => {
      server.kill('SIGKILL');
    });

    const ns = testNamespace('tls');
    const config = redisConfigFromEnv(RedisEnv.parse({ REDIS_URL: `rediss://127.0.0.1:${port}`, REDIS_TLS_CA_FILE: join(dir, 'ca.crt'), BATON_NAMESPACE: ns }));
    expect(config.tls).toMatchObject({ rejectUnauthorized: true });
    const log = createLogger({ name: 'tls', level: 'silent', pretty: false });
    const orch = await startOrchestrator({ redis: config, log, engine: FAST_ENGINE, auth: { ...DEFAULT_AUTH, mode: 'disabled' } });
    stack.defer(() => orch.close());
    const agent = await startAgent(noopAgent, { redis: config, keys: keys(ns), log, heartbeatMs: 200 });
    stack.defer(() => agent.stop());
    expect((await orch.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    const run = JSON.parse((await orch.app.inject({ method: 'POST', url: '/v1/runs', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ pipeline: 'demo' }) })).body) as RunView;
    await waitFor(async () => (await orch.engine.get(run.id))?.status === 'succeeded', { what: 'run over TLS' });
  });
});

function spawnSyncOk(cmd: string, args: string[], cwd?: string): boolean {
  return spawnSync(cmd, args, { cwd, stdio: 'ignore' }).status === 0;
}
