import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AgentList, RunView } from '@baton/contracts';
import { freePort, Pm2, REPO_ROOT, startRedis, testNamespace, waitFor, type TestRedis } from '@baton/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let redis: TestRedis;
let pm2: Pm2;
let base = '';

/** One HTTP request on its own connection (no keep-alive), as a client behind a load balancer would see it. */
function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(`${base}${path}`, { method, agent: false, headers: payload ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const getRun = async (id: string) => (await call<RunView>('GET', `/v1/runs/${id}`)).body;
const waitRun = (id: string, pred: (r: RunView) => boolean = (r) => ['succeeded', 'failed', 'cancelled'].includes(r.status)) =>
  waitFor(async () => {
    const r = await getRun(id);
    return pred(r) ? r : undefined;
  }, { what: `run ${id}`, timeoutMs: 60_000, intervalMs: 100 });
const agents = async () => (await call<AgentList>('GET', '/v1/agents')).body.items;
const noopProcs = async () => (await pm2.list()).filter((p) => p.name === 'baton-agent-noop');

beforeAll(async () => {
  redis = await startRedis();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  pm2 = new Pm2({
    REDIS_URL: redis.url,
    BATON_NAMESPACE: testNamespace('pm2'),
    BATON_HOST: '127.0.0.1',
    BATON_PORT: String(port),
    BATON_ORCHESTRATOR_INSTANCES: '2',
    BATON_AGENT_NOOP_INSTANCES: '2',
    BATON_AGENT_CONCURRENCY: '2',
    BATON_HEARTBEAT_MS: '300',
    BATON_LOCK_DURATION_MS: '3000',
    BATON_STALLED_INTERVAL_MS: '1000',
    BATON_DRAIN_GRACE_MS: '15000',
    BATON_SWEEP_INTERVAL_MS: '200',
    BATON_RECONCILE_INTERVAL_MS: '500',
    BATON_REPAIR_GRACE_MS: '1000',
    BATON_DATA_DIR: join(tmpdir(), `baton-pm2-data-${port}`),
    LOG_LEVEL: 'info',
    BATON_AUTH: 'disabled',
    BATON_RATE_LIMIT_MAX: '1000000', // the reload test's clients would exhaust the default
  });
  await pm2.cli('start', 'ecosystem.config.js', '--only', 'baton-orchestrator,baton-agent-noop');
  await waitFor(async () => (await call('GET', '/ready')).status === 200, { what: 'orchestrator ready', timeoutMs: 30_000 });
  await waitFor(async () => (await agents()).filter((a) => a.liveness === 'alive').length === 2, { what: 'two noop agents', timeoutMs: 30_000 });
}, 90_000);

afterAll(async () => {
  await pm2?.kill();
  await redis?.stop();
});

const chain = (ms: number) => ({
  definition: { stages: [{ name: 'a', agent: 'noop', input: { ms } }, { name: 'b', agent: 'noop', dependsOn: ['a'], input: { ms } }] },
});

describe('a PM2 fleet (ecosystem.config.js)', () => {
  it('runs the orchestrator in cluster mode and one app per agent type', async () => {
    const procs = await pm2.list();
    expect(procs.filter((p) => p.name === 'baton-orchestrator')).toHaveLength(2);
    expect(procs.filter((p) => p.name === 'baton-agent-noop')).toHaveLength(2);
    expect(procs.every((p) => p.pm2_env.status === 'online')).toBe(true);
  });

  it('restarts an agent killed with -9, and every run still succeeds', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await call<RunView>('POST', '/v1/runs', chain(800))).body.id);
    const busy = await waitFor(async () => (await agents()).find((a) => a.active.length > 0), { what: 'an agent with a task' });
    const before = (await noopProcs()).find((p) => p.pid === busy.pid)!;
    process.kill(busy.pid, 'SIGKILL');
    await waitFor(async () => {
      const p = (await noopProcs()).find((x) => x.pm_id === before.pm_id);
      return p && p.pid !== busy.pid && p.pm2_env.status === 'online';
    }, { what: 'PM2 restarted the agent', timeoutMs: 30_000 });
    for (const id of ids) expect((await waitRun(id)).status).toBe('succeeded');
  });

  it('drains an agent mid-stage: its task completes, it exits 0, PM2 starts a fresh one', async () => {
    await waitFor(async () => (await agents()).filter((a) => a.liveness === 'alive').length === 2, { what: 'two alive agents' });
    const run = (await call<RunView>('POST', '/v1/runs', { definition: { stages: [{ name: 'long', agent: 'noop', input: { ms: 2500 } }] } })).body;
    const running = await waitRun(run.id, (r) => r.stages[0]!.status === 'running' && r.stages[0]!.agentId !== null);
    const holderId = running.stages[0]!.agentId!;
    const holder = (await agents()).find((a) => a.id === holderId)!;
    const proc = (await noopProcs()).find((p) => p.pid === holder.pid)!;

    expect((await call('POST', `/v1/agents/${holderId}/drain`)).status).toBe(202);
    const done = await waitRun(run.id);
    expect(done.status).toBe('succeeded');
    expect(done.stages[0]).toMatchObject({ agentId: holderId, attempts: 1 });
    await waitFor(async () => {
      const p = (await noopProcs()).find((x) => x.pm_id === proc.pm_id);
      return p && p.pid !== holder.pid && p.pm2_env.status === 'online';
    }, { what: 'PM2 started a fresh agent', timeoutMs: 30_000 });
    expect(readFileSync(pm2.daemonLog(), 'utf8')).toMatch(new RegExp(`App \\[baton-agent-noop:${proc.pm_id}\\] exited with code \\[0\\]`));
    expect((await agents()).find((a) => a.id === holderId)).toBeUndefined();
  });

  it('reloads the orchestrator during runs with zero failed requests and zero lost runs', async () => {
    const submitted: string[] = [];
    const failures: string[] = [];
    let stop = false;
    const client = async () => {
      while (!stop) {
        try {
          const r = await call<RunView>('POST', '/v1/runs', chain(100));
          if (r.status !== 202) failures.push(`POST ${r.status}`);
          else submitted.push(r.body.id);
          const g = await call('GET', `/v1/runs/${r.body.id}`);
          if (g.status !== 200) failures.push(`GET ${g.status}`);
        } catch (e: unknown) {
          failures.push(e instanceof Error ? e.message : String(e));
        }
        await new Promise((r) => setTimeout(r, 25)); // pace the load so the fleet keeps up
      }
    };
    const clients = [client(), client()];
    await waitFor(() => submitted.length >= 5, { what: 'traffic' });
    const pidsBefore = (await pm2.list()).filter((p) => p.name === 'baton-orchestrator').map((p) => p.pid);
    await pm2.cli('reload', 'baton-orchestrator');
    const pidsAfter = (await pm2.list()).filter((p) => p.name === 'baton-orchestrator').map((p) => p.pid);
    const atReload = submitted.length;
    await waitFor(() => submitted.length >= atReload + 5, { what: 'traffic after reload' });
    stop = true;
    await Promise.all(clients);

    expect(pidsAfter.some((p) => pidsBefore.includes(p))).toBe(false);
    expect(failures).toEqual([]);
    for (const id of submitted) expect((await waitRun(id)).status).toBe('succeeded');
  });

  it("the CLI's run --follow exits 0 when the run succeeds and non-zero when it fails", async () => {
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, [join(REPO_ROOT, 'packages/cli/dist/main.js'), '--url', base, ...args], { env: { ...process.env, NO_COLOR: '1' } }).then(
        (r) => ({ code: 0, out: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
      );
    const ok = await cli('run', 'demo', '--input', '{"project":"cli"}', '--follow');
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('run.succeeded');

    const file = join(tmpdir(), `always-fails-${Date.now()}.json`);
    writeFileSync(file, JSON.stringify({ stages: [{ name: 'boom', agent: 'noop', input: { fail: { retryable: false, code: 'BOOM' } } }] }));
    expect((await cli('pipelines', 'push', file, '--name', 'always-fails')).code).toBe(0);
    const failed = await cli('run', 'always-fails', '--follow');
    expect(failed.code).toBe(1);
    expect(failed.out).toContain('run.failed');
    expect((await cli('runs', 'show', 'run_01M7Y673N5R6MF5373N0YQW6N1')).code).toBe(1);
    const listed = await cli('--json', 'queues', 'ls');
    expect(JSON.parse(listed.out).items.map((q: { type: string }) => q.type)).toContain('noop');
  });
});
