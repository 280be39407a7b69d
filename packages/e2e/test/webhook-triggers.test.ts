import { createHmac, randomUUID } from 'node:crypto';
import type { AuditEntry, RunList, TriggerDetail } from '@baton/contracts';
import { signTimestamped } from '@baton/orchestrator';
import { useTestStack, type Harness } from '@baton/testing';
import { describe, expect, it } from 'vitest';

const stack = useTestStack();
const GITHUB_SECRET = 'gh-secret-'.padEnd(40, 'x');
const GENERIC_SECRET = 'generic-secret-'.padEnd(40, 'y');
const GITLAB_TOKEN = 'gitlab-token-'.padEnd(32, 'z');
const SECRETS = { BATON_SECRET_GITHUB_HOOK: GITHUB_SECRET, BATON_SECRET_GENERIC_HOOK: GENERIC_SECRET };
const SHA = 'a'.repeat(40);

/** A GitHub `push` payload (docs.github.com "Webhook events and payloads", push), trimmed to the documented fields we read. */
function githubPush(ref: string) {
  return {
    ref,
    before: '0'.repeat(40),
    after: SHA,
    created: true,
    deleted: false,
    forced: false,
    compare: 'https://github.com/octo/app/compare/abc',
    commits: [{ id: SHA, message: 'fix', timestamp: '2026-12-03T10:00:00Z', author: { name: 'Mona', email: 'mona@example.com' } }],
    head_commit: { id: SHA, message: 'fix' },
    repository: { id: 1, name: 'app', full_name: 'octo/app', clone_url: 'https://github.com/octo/app.git', default_branch: 'main' },
    pusher: { name: 'mona', email: 'mona@example.com' },
    sender: { login: 'mona', id: 2 },
  };
}

function githubPullRequest(action: string, number: number) {
  return {
    action,
    number,
    pull_request: { number, state: 'open', title: 'Add feature', head: { ref: 'feature/x', sha: SHA }, base: { ref: 'main', sha: 'b'.repeat(40) } },
    repository: { id: 1, name: 'app', full_name: 'octo/app', clone_url: 'https://github.com/octo/app.git' },
    sender: { login: 'mona', id: 2 },
  };
}

/** A GitLab "Tag Push Hook" payload (docs.gitlab.com webhook events, tag events). */
function gitlabTagPush(tag: string) {
  return {
    object_kind: 'tag_push',
    event_name: 'tag_push',
    before: '0'.repeat(40),
    after: SHA,
    ref: `refs/tags/${tag}`,
    checkout_sha: SHA,
    user_name: 'John Smith',
    user_username: 'jsmith',
    project_id: 1,
    project: { id: 1, name: 'Example', path_with_namespace: 'jsmith/example', git_http_url: 'http://example.com/jsmith/example.git' },
    commits: [],
    total_commits_count: 0,
  };
}

function githubHeaders(body: string, event: string, delivery: string, secret = GITHUB_SECRET): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': delivery,
    'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
  };
}

async function setUp(h: Harness) {
  expect((await h.request('PUT', '/v1/pipelines/build', { stages: [{ name: 'build', agent: 'noop' }] })).status).toBe(201);
  const put = await h.request<{ secret: unknown }>('PUT', '/v1/triggers/app-ci', {
    source: 'github',
    secret: { env: 'BATON_SECRET_GITHUB_HOOK' },
    pipeline: 'build',
    filter: { events: ['push', 'pull_request', 'tag'], branches: ['main', 'release/**', 'feature/*'], tags: ['v*'], repositories: ['octo/*'], actions: ['opened', 'synchronize'] },
    mapping: {
      input: { repo: '{cloneUrl}', branch: '{branch}', sha: '{sha}', pusher: '{pusher}', pr: '{pullRequest}', title: 'build {repository}@{branch}' },
      labels: { pr: '{pullRequest}', repo: '{payload.repository.name}' },
    },
  });
  expect(put.status).toBe(201);
  expect(JSON.stringify(put.body)).not.toContain(GITHUB_SECRET);
}

async function post(h: Harness, name: string, body: string, headers: Record<string, string>) {
  const res = await h.app.inject({ method: 'POST', url: `/v1/hooks/${name}`, headers, payload: body });
  return { status: res.statusCode, body: JSON.parse(res.body) as { runId?: string; created?: boolean; ignored?: string; error?: { code: string; message: string } } };
}

const runsOf = async (h: Harness) => (await h.request<RunList>('GET', '/v1/runs?label=trigger:app-ci&limit=200')).body.items;

describe('webhook triggers', () => {
  it('a signed GitHub push starts exactly one run with the mapped input; redelivery and 10 concurrent copies start none more', async () => {
    const h = await stack.harness({}, { secrets: SECRETS });
    await setUp(h);
    const body = JSON.stringify(githubPush('refs/heads/main'));
    const delivery = randomUUID();
    const first = await post(h, 'app-ci', body, githubHeaders(body, 'push', delivery));
    expect(first.status).toBe(202);
    expect(first.body.created).toBe(true);
    const run = await h.run(first.body.runId!);
    expect(run.input).toEqual({ repo: 'https://github.com/octo/app.git', branch: 'main', sha: SHA, pusher: 'mona', pr: null, title: 'build octo/app@main' });
    expect(run.labels).toEqual({ trigger: 'app-ci', repo: 'app' });

    const again = await post(h, 'app-ci', body, githubHeaders(body, 'push', delivery));
    expect(again).toEqual({ status: 200, body: { deliveryId: delivery, runId: first.body.runId, created: false } });

    const burstId = randomUUID();
    const burst = await Promise.all(Array.from({ length: 10 }, () => post(h, 'app-ci', body, githubHeaders(body, 'push', burstId))));
    expect(burst.filter((r) => r.body.created === true)).toHaveLength(1);
    expect(new Set(burst.map((r) => r.body.runId)).size).toBe(1);
    expect(await runsOf(h)).toHaveLength(2);

    const detail = await h.request<TriggerDetail>('GET', '/v1/triggers/app-ci');
    expect(detail.body.deliveries.filter((d) => d.outcome === 'started')).toHaveLength(2);
    expect(detail.body.deliveries.filter((d) => d.outcome === 'replayed')).toHaveLength(10);
    expect(detail.body.secret).toEqual({ kind: 'env', env: 'BATON_SECRET_GITHUB_HOOK' });
  }, 60_000);

  it('pull_request and tag deliveries map their fields; filtered ones are 202 {"ignored"} and start nothing', async () => {
    const h = await stack.harness({}, { secrets: SECRETS });
    await setUp(h);
    const pr = JSON.stringify(githubPullRequest('opened', 123));
    const prRes = await post(h, 'app-ci', pr, githubHeaders(pr, 'pull_request', randomUUID()));
    expect(prRes.status).toBe(202);
    const prRun = await h.run(prRes.body.runId!);
    expect(prRun.labels).toMatchObject({ pr: '123' });
    expect(prRun.input).toMatchObject({ branch: 'feature/x', sha: SHA, pr: 123, pusher: 'mona' });

    const tag = JSON.stringify(githubPush('refs/tags/v1.2.0'));
    const tagRes = await post(h, 'app-ci', tag, githubHeaders(tag, 'push', randomUUID()));
    expect(tagRes.status).toBe(202);
    expect((await h.run(tagRes.body.runId!)).input).toMatchObject({ branch: null, sha: SHA });

    const cases: [string, string, string][] = [
      ['push', JSON.stringify(githubPush('refs/heads/experiment')), 'branch "experiment"'],
      ['push', JSON.stringify(githubPush('refs/tags/nightly')), 'tag "nightly"'],
      ['pull_request', JSON.stringify(githubPullRequest('closed', 7)), 'action "closed"'],
      ['issues', JSON.stringify({ action: 'opened', repository: { full_name: 'octo/app' } }), 'event "issues"'],
      ['push', JSON.stringify({ ...githubPush('refs/heads/main'), repository: { full_name: 'other/app' } }), 'repository "other/app"'],
    ];
    for (const [event, body, reason] of cases) {
      const res = await post(h, 'app-ci', body, githubHeaders(body, event, randomUUID()));
      expect(res.status).toBe(202);
      expect(res.body.ignored).toContain(reason);
    }
    expect(await runsOf(h)).toHaveLength(2);
  }, 60_000);

  it('a bad or missing signature is 401 and audited; a stale generic timestamp is refused; GitLab tokens are stored hashed', async () => {
    const h = await stack.harness({}, { secrets: SECRETS });
    await setUp(h);
    const body = JSON.stringify(githubPush('refs/heads/main'));
    const bad = await post(h, 'app-ci', body, githubHeaders(body, 'push', randomUUID(), 'wrong-secret'));
    expect(bad.status).toBe(401);
    expect(bad.body.error?.message).toBe('the signature does not match');
    const headers = githubHeaders(body, 'push', randomUUID());
    delete headers['x-hub-signature-256'];
    const missing = await post(h, 'app-ci', body, headers);
    expect(missing.status).toBe(401);
    // A body changed after signing does not verify either.
    const tampered = await post(h, 'app-ci', body.replace('main', 'mainx'), githubHeaders(body, 'push', randomUUID()));
    expect(tampered.status).toBe(401);
    expect(await runsOf(h)).toHaveLength(0);
    const audit = async () => (await h.request<{ items: AuditEntry[] }>('GET', '/v1/audit?limit=100')).body.items.filter((e) => e.route === '/v1/hooks/:name' && e.status === 401);
    await expect.poll(async () => (await audit()).length, { timeout: 10_000 }).toBe(3);

    // generic: the timestamp is signed; an old one is refused even with the right HMAC.
    expect((await h.request('PUT', '/v1/triggers/generic-ci', { source: 'generic', secret: { env: 'BATON_SECRET_GENERIC_HOOK' }, pipeline: 'build', mapping: { input: { sha: '{sha}' } } })).status).toBe(201);
    const g = JSON.stringify({ ref: 'refs/heads/main', sha: SHA });
    const genericHeaders = (t: number) => ({ 'content-type': 'application/json', 'x-baton-event': 'push', 'x-baton-delivery': randomUUID(), 'x-baton-signature': signTimestamped(GENERIC_SECRET, g, t) });
    const stale = await post(h, 'generic-ci', g, genericHeaders(Date.now() / 1000 - 3600));
    expect(stale.status).toBe(401);
    expect(stale.body.error?.message).toContain('too old');
    const fresh = await post(h, 'generic-ci', g, genericHeaders(Date.now() / 1000));
    expect(fresh.status).toBe(202);
    expect((await h.run(fresh.body.runId!)).input).toEqual({ sha: SHA });

    // GitLab: the token may be given as a value; Redis holds only its sha256.
    expect((await h.request('PUT', '/v1/triggers/gl', { source: 'gitlab', secret: { value: GITLAB_TOKEN }, pipeline: 'build', filter: { tags: ['v*'] }, mapping: { input: { tag: '{tag}', repo: '{repository}' } } })).status).toBe(201);
    const stored = await stack.redis.command('HGET', h.keys.triggers(), 'gl');
    expect(String(stored)).not.toContain(GITLAB_TOKEN);
    const gl = JSON.stringify(gitlabTagPush('v2.0.0'));
    const glHeaders = (token: string) => ({ 'content-type': 'application/json', 'x-gitlab-event': 'Tag Push Hook', 'idempotency-key': randomUUID(), 'x-gitlab-token': token });
    expect((await post(h, 'gl', gl, glHeaders('not-the-token'))).status).toBe(401);
    const ok = await post(h, 'gl', gl, glHeaders(GITLAB_TOKEN));
    expect(ok.status).toBe(202);
    expect((await h.run(ok.body.runId!)).input).toEqual({ tag: 'v2.0.0', repo: 'jsmith/example' });

    // A signing secret cannot be stored as a hash; an unset reference is refused.
    expect((await h.request('PUT', '/v1/triggers/x', { source: 'github', secret: { value: GITLAB_TOKEN }, pipeline: 'build' })).status).toBe(400);
    expect((await h.request('PUT', '/v1/triggers/x', { source: 'github', secret: { env: 'BATON_SECRET_NOPE' }, pipeline: 'build' })).status).toBe(400);
    expect((await h.request('DELETE', '/v1/triggers/gl')).status).toBe(204);
    expect((await post(h, 'gl', gl, glHeaders(GITLAB_TOKEN))).status).toBe(404);
  }, 60_000);
});

