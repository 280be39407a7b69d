import { BatonApiError, BatonClient, OPERATIONS, type FollowedEvent } from '@baton/client';
import type { RunView } from '@baton/contracts';
import { noopAgent } from '@baton/agent-noop';
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ENTRYPOINTS, REPO_ROOT, spawnOrchestrator, testAgent, testNamespace, useTestStack, waitFor } from '@baton/testing';
import { describe, expect, it } from 'vitest';

const stack = useTestStack();

/** A fetch that records each call's method, path and status (to see retries and reconnects). */
function recordingFetch(): { fetch: typeof fetch; calls: { method: string; path: string; status: number | 'error' }[] } {
  const calls: { method: string; path: string; status: number | 'error' }[] = [];
  return {
    calls,
    fetch: async (input, init) => {
      const url = new URL(String(input));
      try {
        const res = await fetch(input, init);
        calls.push({ method: init?.method ?? 'GET', path: url.pathname, status: res.status });
        return res;
      } catch (e: unknown) {
        calls.push({ method: init?.method ?? 'GET', path: url.pathname, status: 'error' });
        throw e;
      }
    },
  };
}

/** The error a call fails with (the test fails if it succeeds). */
const failure = (p: Promise<unknown>): Promise<BatonApiError> =>
  p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as BatonApiError,
  );

async function listening(): Promise<{ url: string; h: Awaited<ReturnType<typeof stack.harness>> }> {
  const h = await stack.harness();
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
  return { url, h };
}

const twoStages = (ms: number) => ({
  definition: {
    stages: [
      { name: 'first', agent: 'noop', input: { ms } },
      { name: 'second', agent: 'noop', dependsOn: ['first'], input: { ms } },
    ],
  },
});

describe('@baton/client against a real stack', () => {
  it('covers every operation of the live document', async () => {
    const { url } = await listening();
    const doc = (await (await fetch(`${url}/docs/json`)).json()) as { paths: Record<string, Record<string, { operationId: string }>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([m, op]) => `${op.operationId} ${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
    const table = Object.entries(OPERATIONS).map(([id, [method, path]]) => `${id} ${method} ${path}`);
    expect(table.sort()).toEqual(documented.sort());
  });

  it('submits with an idempotency key, follows the run to its end, and reads it back', async () => {
    const { url, h } = await listening();
    await h.agent(noopAgent);
    const baton = new BatonClient({ baseUrl: url });
    const run = await baton.runs.submit(twoStages(50), { idempotencyKey: 'client-test-1' });
    expect((await baton.runs.submit(twoStages(50), { idempotencyKey: 'client-test-1' })).id).toBe(run.id);
    const conflict = await baton.runs.submit(twoStages(60), { idempotencyKey: 'client-test-1' }).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(BatonApiError);
    expect((conflict as BatonApiError).code).toBe('IDEMPOTENCY_CONFLICT');
    const types: string[] = [];
    for await (const { event } of baton.runs.follow(run.id)) types.push(event.type);
    expect(types[0]).toBe('run.created');
    expect(types.at(-1)).toBe('run.succeeded');
    expect(types.filter((t) => t === 'stage.succeeded')).toHaveLength(2);
    expect((await baton.runs.get(run.id)).status).toBe('succeeded');
  });

  it('follows a run to its end across an orchestrator killed with -9 and restarted', async () => {
    const ns = testNamespace();
    let orch = await spawnOrchestrator(stack.redis.target, ns);
    const agent = await testAgent(noopAgent, stack.redis.target, ns);
    try {
      const rec = recordingFetch();
      const baton = new BatonClient({ baseUrl: orch.url, fetch: rec.fetch });
      const run = await baton.runs.submit(twoStages(1500));
      const seen: FollowedEvent[] = [];
      let restarted = false;
      for await (const e of baton.runs.follow(run.id, { reconnect: { initialDelayMs: 100, maxDelayMs: 500, maxAttempts: 100 } })) {
        seen.push(e);
        if (!restarted && e.event.type === 'stage.started') {
          restarted = true;
          const port = orch.port;
          await orch.kill('SIGKILL');
          orch = await spawnOrchestrator(stack.redis.target, ns, {}, port);
        }
      }
      const types = seen.map((e) => e.event.type);
      expect(restarted).toBe(true);
      expect(types[0]).toBe('run.created');
      expect(types.at(-1)).toBe('run.succeeded');
      // Resumed with Last-Event-ID: every event once, in stream order.
      const ids = seen.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      const order = (id: string) => id.split('-').map(BigInt);
      for (let i = 1; i < ids.length; i++) {
        const [a, b] = [order(ids[i - 1]!), order(ids[i]!)];
        expect(a[0]! < b[0]! || (a[0] === b[0] && a[1]! < b[1]!), `${ids[i - 1]} before ${ids[i]}`).toBe(true);
      }
      expect(types.filter((t) => t === 'stage.succeeded')).toHaveLength(2);
      expect(rec.calls.filter((c) => c.path.endsWith('/events')).length).toBeGreaterThanOrEqual(2);
    } finally {
      await agent.stop('shutdown');
      await orch.kill('SIGKILL');
    }
  });

  it('iterates pages while runs are created: every older run once, newest first, none of the new ones', async () => {
    const { url } = await listening();
    const baton = new BatonClient({ baseUrl: url });
    const before: RunView[] = [];
    for (let i = 0; i < 7; i++) before.push(await baton.runs.submit({ definition: { stages: [{ name: 's', agent: 'noop' }] }, labels: { batch: 'pages' } }));
    const seen: string[] = [];
    let pages = 0;
    for await (const page of baton.runs.pages({ limit: 2 })) {
      pages++;
      seen.push(...page.items.map((r) => r.id));
      await baton.runs.submit({ definition: { stages: [{ name: 's', agent: 'noop' }] }, labels: { batch: 'later' } });
    }
    expect(pages).toBe(4);
    expect(seen).toEqual(before.map((r) => r.id).reverse());
    const everything: string[] = [];
    for await (const r of baton.runs.all({ limit: 5 })) everything.push(r.id);
    expect(everything).toHaveLength(11);
  });

  it('throws typed errors carrying the API code, status, issues and request id', async () => {
    const { url } = await listening();
    const baton = new BatonClient({ baseUrl: url });
    const bad = await baton.runs.submit({ definition: { stages: [{ name: 'Bad Name', agent: 'noop' }] } }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BatonApiError);
    const e = bad as BatonApiError;
    expect([e.status, e.code]).toEqual([400, 'INVALID_REQUEST']);
    expect(e.issues.map((i) => i.path.join('.'))).toContain('body.definition.stages.0.name');
    expect(e.requestId).toMatch(/.+/);
    const missing = await failure(baton.runs.get('run_01J9ZK3Q7W5X8Y2N4M6P0R1S3T'));
    expect(missing.is('RUN_NOT_FOUND') && missing.status).toBe(404);
    const pipeline = await failure(baton.runs.submit({ pipeline: 'no-such-pipeline' }));
    expect(pipeline.code).toBe('PIPELINE_NOT_FOUND');
    const gone = new BatonClient({ baseUrl: 'http://127.0.0.1:9', retry: { attempts: 1 } });
    const unreachable = await failure(gone.health());
    expect([unreachable.status, unreachable.code]).toEqual([0, 'UNREACHABLE']);
  });

  it('retries 503 while Redis is down, and succeeds once it is back', async ({ skip }) => {
    if (!stack.redis.controllable) skip('needs a Redis the test controls (REDIS_URL is set)');
    const { url } = await listening();
    const rec = recordingFetch();
    const baton = new BatonClient({ baseUrl: url, fetch: rec.fetch, retry: { attempts: 200, baseDelayMs: 100, maxDelayMs: 200 } });
    await baton.runs.list();
    await stack.redis.kill();
    let restarted = false;
    try {
      const listed = baton.runs.list({ limit: 1 });
      await waitFor(() => rec.calls.some((c) => c.status === 503), { what: 'a 503 while Redis is down', timeoutMs: 20_000 });
      await stack.redis.start();
      restarted = true;
      const page = await listed;
      expect(Array.isArray(page.items)).toBe(true);
      const statuses = rec.calls.filter((c) => c.path === '/v1/runs').map((c) => c.status);
      expect(statuses.at(-1)).toBe(200);
      expect(statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(1);
    } finally {
      if (!restarted) await stack.redis.start();
    }
    // Bounded: with one attempt, the 503 is thrown as a typed error.
    await stack.redis.kill();
    try {
      const once = new BatonClient({ baseUrl: url, retry: { attempts: 1 } });
      const e = await waitFor(async () => {
        const r = await once.runs.list().catch((x: unknown) => x);
        return r instanceof BatonApiError && r.status === 503 ? r : undefined;
      }, { what: 'a 503 thrown' });
      expect(['REDIS_UNAVAILABLE']).toContain(e.code);
      expect(e.retryAfterMs).toBeGreaterThan(0);
    } finally {
      await stack.redis.start();
      // Closing the orchestrator while its connections are still reconnecting can hang (engine.stop): wait for them.
      await waitFor(async () => (await fetch(`${url}/ready`)).ok, { what: 'ready again', timeoutMs: 30_000 });
    }
  });

  it('is what the CLI uses: follow to the end, API errors exit 1 with the code, no orchestrator exits 3', async () => {
    const { url, h } = await listening();
    await h.agent(noopAgent);
    const cli = (base: string, ...args: string[]) =>
      promisify(execFile)(process.execPath, [join(REPO_ROOT, ENTRYPOINTS.cli), '--url', base, ...args], { env: { ...process.env, NO_COLOR: '1' } }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
    const file = join(tmpdir(), `client-cli-${Date.now()}.json`);
    writeFileSync(file, JSON.stringify(twoStages(20).definition));
    try {
      expect((await cli(url, 'pipelines', 'push', file, '--name', 'two-stages')).code).toBe(0);
      const followed = await cli(url, 'run', 'two-stages', '--follow');
      expect(followed.code).toBe(0);
      expect(followed.stdout).toContain('run.succeeded');
      const missing = await cli(url, 'runs', 'show', 'run_01J9ZK3Q7W5X8Y2N4M6P0R1S3T');
      expect([missing.code, missing.stderr.trim()]).toEqual([1, 'error RUN_NOT_FOUND: no run run_01J9ZK3Q7W5X8Y2N4M6P0R1S3T']);
      const down = await cli('http://127.0.0.1:9', 'runs', 'ls');
      expect(down.code).toBe(3);
      expect(down.stderr).toContain('error UNREACHABLE');

      // Issue 16: approve / reject a gate and send a signal from the CLI.
      const gated = { stages: [{ name: 'gate', approval: {} }, { name: 'hook', waitFor: { signal: 'go' } }, { name: 'after', agent: 'noop', dependsOn: ['gate', 'hook'] }] };
      const submitted = await h.submit({ definition: gated, priority: 9 });
      expect(submitted.priority).toBe(9);
      await h.waitRun(submitted.id, (r) => r.status === 'waiting');
      const approved = await cli(url, '--json', 'runs', 'approve', submitted.id, 'gate', '--comment', 'from the cli');
      expect(approved.code).toBe(0);
      expect((JSON.parse(approved.stdout) as RunView).stages[0]!.output).toMatchObject({ decision: 'approved', comment: 'from the cli' });
      const signalled = await cli(url, 'runs', 'signal', submitted.id, 'go', '{"ok":true}');
      expect(signalled.code).toBe(0);
      expect((await h.waitRun(submitted.id)).stages.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
      const again = await cli(url, 'runs', 'reject', submitted.id, 'gate');
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('INVALID_STATE');
    } finally {
      rmSync(file, { force: true });
    }
  }, 240_000); // a dozen cold CLI processes on a loaded host
});
