import type { RunEvent, RunView } from '@baton/contracts';
import { ENTRYPOINTS, freePort, http, spawnAgent, spawnOrchestrator, startRedis, testNamespace, waitFor, type BatonProcess, type TestRedis } from '@baton/testing';
import { afterEach, describe, expect, it } from 'vitest';

const procs: BatonProcess[] = [];
const servers: TestRedis[] = [];

afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill('SIGKILL')));
  await Promise.all(servers.splice(0).map((r) => r.stop()));
});

async function track<T extends BatonProcess>(p: Promise<T>): Promise<T> {
  const proc = await p;
  procs.push(proc);
  return proc;
}

async function getRun(base: string, id: string): Promise<RunView> {
  const res = await http<RunView>(base, 'GET', `/v1/runs/${id}`);
  if (res.status !== 200) throw new Error(`GET run: ${res.status}`);
  return res.body;
}

const waitRun = (base: () => string, id: string, pred: (r: RunView) => boolean, timeoutMs = 60_000) =>
  waitFor(async () => {
    const r = await getRun(base(), id);
    return pred(r) ? r : undefined;
  }, { what: `run ${id}`, timeoutMs, intervalMs: 100 });

async function events(base: string, id: string): Promise<RunEvent[]> {
  const text = await (await fetch(`${base}/v1/runs/${id}/events`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as RunEvent);
}

/** Each stage succeeded exactly once in the run's history. */
async function expectCommittedOnce(base: string, id: string, stages: string[]): Promise<void> {
  const succeeded = (await events(base, id)).filter((e) => e.type === 'stage.succeeded').map((e) => (e as { stage: string }).stage);
  expect(succeeded.sort()).toEqual([...stages].sort());
}

const CHAIN = (ms: number) => ({
  definition: {
    stages: [
      { name: 'a', agent: 'noop', input: { ms } },
      { name: 'b', agent: 'noop', dependsOn: ['a'], input: { ms } },
      { name: 'c', agent: 'noop', dependsOn: ['b'], input: { ms } },
    ],
  },
});

describe('an accepted run survives kill -9 and Redis restarts', () => {
  it('finishes when the agent running a stage is killed with -9', async () => {
    const redis = await startRedis();
    servers.push(redis);
    const ns = testNamespace();
    const orch = await track(spawnOrchestrator(redis.url, ns));
    const agents = [
      await track(spawnAgent(ENTRYPOINTS.noop, redis.url, ns, { BATON_AGENT_ID: 'noop-a', BATON_AGENT_CONCURRENCY: '1' })),
      await track(spawnAgent(ENTRYPOINTS.noop, redis.url, ns, { BATON_AGENT_ID: 'noop-b', BATON_AGENT_CONCURRENCY: '1' })),
    ];
    const submitted = await http<RunView>(orch.url, 'POST', '/v1/runs', { definition: { stages: [{ name: 'slow', agent: 'noop', input: { ms: 2500 } }, { name: 'next', agent: 'noop', dependsOn: ['slow'] }] } });
    expect(submitted.status).toBe(202);
    const id = submitted.body.id;

    const running = await waitRun(() => orch.url, id, (r) => r.stages[0]!.status === 'running' && r.stages[0]!.agentId !== null);
    const holder = running.stages[0]!.agentId!;
    const victim = agents[holder === 'noop-a' ? 0 : 1]!;
    expect(await victim.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    const done = await waitRun(() => orch.url, id, (r) => r.status === 'succeeded' || r.status === 'failed');
    expect(done.status).toBe('succeeded');
    expect(done.stages[0]!.agentId).not.toBe(holder);
    await expectCommittedOnce(orch.url, id, ['slow', 'next']);
  });

  it('finishes when the orchestrator is killed with -9 mid-run and started again', async () => {
    const redis = await startRedis();
    servers.push(redis);
    const ns = testNamespace();
    const port = await freePort();
    let orch = await track(spawnOrchestrator(redis.url, ns, {}, port));
    await track(spawnAgent(ENTRYPOINTS.noop, redis.url, ns));
    const submitted = await http<RunView>(orch.url, 'POST', '/v1/runs', CHAIN(700));
    const id = submitted.body.id;
    await waitRun(() => orch.url, id, (r) => r.stages[1]!.status === 'running');

    await orch.kill('SIGKILL');
    // While no orchestrator runs, the agent finishes b; its result waits in Redis.
    await new Promise((r) => setTimeout(r, 1200));
    orch = await track(spawnOrchestrator(redis.url, ns, {}, port));

    const done = await waitRun(() => orch.url, id, (r) => r.status === 'succeeded' || r.status === 'failed');
    expect(done.status).toBe('succeeded');
    await expectCommittedOnce(orch.url, id, ['a', 'b', 'c']);
  });

  it('finishes when Redis is killed with -9 mid-run and restarted on its AOF', async ({ skip }) => {
    const redis = await startRedis();
    servers.push(redis);
    if (!redis.controllable) skip('needs a Redis the test controls (REDIS_URL is set)');
    const ns = testNamespace();
    const orch = await track(spawnOrchestrator(redis.url, ns));
    await track(spawnAgent(ENTRYPOINTS.noop, redis.url, ns));
    const submitted = await http<RunView>(orch.url, 'POST', '/v1/runs', CHAIN(1500));
    const id = submitted.body.id;
    await waitRun(() => orch.url, id, (r) => r.stages[1]!.status === 'running');

    await redis.kill();
    const during = await http(orch.url, 'GET', `/v1/runs/${id}`);
    expect(during.status).toBe(503);
    expect(during.headers['retry-after']).toBe('5');
    await new Promise((r) => setTimeout(r, 1000));
    await redis.start();

    const done = await waitRun(() => orch.url, id, (r) => r.status === 'succeeded' || r.status === 'failed');
    expect(done.status).toBe('succeeded');
    await expectCommittedOnce(orch.url, id, ['a', 'b', 'c']);
    // And the stack keeps working: a new run goes through.
    const next = await http<RunView>(orch.url, 'POST', '/v1/runs', CHAIN(10));
    expect(next.status).toBe(202);
    expect((await waitRun(() => orch.url, next.body.id, (r) => r.status !== 'queued' && r.status !== 'running')).status).toBe('succeeded');
  });
});
