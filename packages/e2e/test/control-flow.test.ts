import type { ApiErrorBody, QueueList, RunView } from '@baton/contracts';
import { ENTRYPOINTS, freePort, http, spawnAgent, spawnOrchestrator, startRedis, testNamespace, waitFor, type TestRedis, processTracker, waitRunOverHttp, runFinished as finished, runEventsOverHttp as events } from '@baton/testing';
import { afterEach, describe, expect, it } from 'vitest';

/** Issue 16 over HTTP with real processes: signals, `when` conditions, run deadlines, priorities. */

const { track, killAll } = processTracker();
const servers: TestRedis[] = [];

afterEach(async () => {
  await killAll();
  await Promise.all(servers.splice(0).map((r) => r.stop()));
});

const waitRun = (base: () => string, id: string, pred: (r: RunView) => boolean, timeoutMs = 90_000) => waitRunOverHttp(base, id, pred, { timeoutMs, intervalMs: 200 });

async function stack(env: Record<string, string> = {}, agentEnv: Record<string, string> = {}) {
  const redis = await startRedis();
  servers.push(redis);
  const ns = testNamespace();
  const port = await freePort();
  const orch = await track(spawnOrchestrator(redis.url, ns, env, port));
  await track(spawnAgent(ENTRYPOINTS.noop, redis.url, ns, agentEnv));
  return { redis, ns, port, orch };
}

const SIGNALLED = {
  definition: {
    stages: [
      { name: 'build', agent: 'noop', input: { echo: 'built' } },
      { name: 'ci', dependsOn: ['build'], waitFor: { signal: 'ci.done', schema: { type: 'object', properties: { sha: { type: 'string' } }, required: ['sha'] } } },
      { name: 'deploy', agent: 'noop', dependsOn: ['ci'], input: { echo: { $from: 'stages.ci.output.sha' } } },
    ],
  },
};

describe('signals over HTTP with real processes', () => {
  it('complete a waiting stage with a schema-checked payload, surviving an orchestrator kill -9 and a Redis restart', async ({ skip }) => {
    const s = await stack();
    if (!s.redis.controllable) skip('needs a Redis the test controls (REDIS_URL is set)');
    let orch = s.orch;
    const id = (await http<RunView>(orch.url, 'POST', '/v1/runs', SIGNALLED)).body.id;
    const waiting = await waitRun(() => orch.url, id, (r) => r.status === 'waiting');
    expect(waiting.waitingOn).toEqual(['ci']);
    expect(waiting.stages[1]).toMatchObject({ agent: 'signal', status: 'waiting', waitFor: { signal: 'ci.done' } });

    await orch.kill('SIGKILL');
    await s.redis.kill();
    await s.redis.start();
    orch = await track(spawnOrchestrator(s.redis.url, s.ns, {}, s.port));
    // Still waiting (AOF everysec may drop the last second; then the reconciler brings the run back to its wait).
    expect((await waitRun(() => orch.url, id, (r) => r.status === 'waiting')).stages[1]!.status).toBe('waiting');

    const bad = await http<ApiErrorBody>(orch.url, 'POST', `/v1/runs/${id}/signals/ci.done`, { payload: { sha: 7 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues?.[0]?.path).toEqual(['payload', 'sha']);
    const unknown = await http<ApiErrorBody>(orch.url, 'POST', `/v1/runs/${id}/signals/nobody.listens`, { payload: 1 });
    expect(unknown.status).toBe(400);

    const sent = await http<{ result: { delivered: string[] }; run: RunView }>(orch.url, 'POST', `/v1/runs/${id}/signals/ci.done`, { payload: { sha: 'c0ffee' } });
    expect(sent.status).toBe(200);
    expect(sent.body.result.delivered).toEqual(['ci']);
    const done = await waitRun(() => orch.url, id, finished);
    expect(done.status).toBe('succeeded');
    expect(done.stages[1]!.output).toEqual({ sha: 'c0ffee' });
    expect(done.stages[2]!.output).toMatchObject({ echo: 'c0ffee' });
    expect((await http(orch.url, 'POST', `/v1/runs/${id}/signals/ci.done`, { payload: { sha: 'x' } })).status).toBe(409);
    expect((await events(orch.url, id)).some((e) => e.type === 'run.signalled')).toBe(true);
  }, 300_000);

  it('time out from the reconciler pass with SIGNAL_TIMEOUT', async () => {
    const s = await stack({ BATON_RECONCILE_INTERVAL_MS: '500' });
    const def = { definition: { stages: [{ name: 'hook', waitFor: { signal: 'go', timeoutMs: 2000 } }] } };
    const id = (await http<RunView>(s.orch.url, 'POST', '/v1/runs', def)).body.id;
    const done = await waitRun(() => s.orch.url, id, finished);
    expect(done.status).toBe('failed');
    expect(done.stages[0]!.error).toMatchObject({ code: 'SIGNAL_TIMEOUT' });
  }, 300_000);
});

describe('when conditions over HTTP with real processes', () => {
  const COND = {
    stages: [
      { name: 'build', agent: 'noop', input: { echo: { tests: 12 } } },
      { name: 'deploy', agent: 'noop', dependsOn: ['build'], when: 'input.env == "prod" && stages.build.output.echo.tests > 10' },
      { name: 'smoke', agent: 'noop', dependsOn: ['deploy'] },
      { name: 'report', agent: 'noop', dependsOn: ['deploy'], onUpstreamSkipped: 'run' },
    ],
  };

  it('skip a stage whose condition is false (with the values it saw) and run it when true', async () => {
    const s = await stack();
    expect((await http(s.orch.url, 'PUT', '/v1/pipelines/cond', COND)).status).toBeLessThan(300);
    const staging = (await http<RunView>(s.orch.url, 'POST', '/v1/runs', { pipeline: 'cond', input: { env: 'staging' } })).body.id;
    const prod = (await http<RunView>(s.orch.url, 'POST', '/v1/runs', { pipeline: 'cond', input: { env: 'prod' } })).body.id;
    const a = await waitRun(() => s.orch.url, staging, finished);
    expect(a.status).toBe('succeeded');
    expect(a.stages.map((st) => st.status)).toEqual(['succeeded', 'skipped', 'skipped', 'succeeded']);
    expect(a.stages[1]!.condition).toEqual({ expression: COND.stages[1]!.when, result: false, values: { 'input.env': 'staging', 'stages.build.output.echo.tests': 12 } });
    const skip = (await events(s.orch.url, staging)).find((e) => e.type === 'stage.skipped' && e.stage === 'deploy');
    expect(skip).toMatchObject({ condition: { result: false } });
    const b = await waitRun(() => s.orch.url, prod, finished);
    expect(b.stages.map((st) => st.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(b.stages[1]!.condition).toMatchObject({ result: true });
  }, 300_000);

  it('reject invalid expressions at PUT /v1/pipelines and at submit with the path and the position', async () => {
    const s = await stack();
    const broken = { stages: [{ name: 'a', agent: 'noop' }, { name: 'b', agent: 'noop', dependsOn: ['a'], when: 'input.x == (1' }] };
    const put = await http<ApiErrorBody>(s.orch.url, 'PUT', '/v1/pipelines/broken', broken);
    expect(put.status).toBe(400);
    expect(put.body.error.code).toBe('INVALID_PIPELINE');
    expect(put.body.error.issues?.[0]).toMatchObject({ path: ['stages', 1, 'when'] });
    expect(put.body.error.issues?.[0]?.message).toMatch(/line 1, column \d+/);
    const submit = await http<ApiErrorBody>(s.orch.url, 'POST', '/v1/runs', { definition: broken });
    expect(submit.status).toBe(400);
    expect(submit.body.error.issues?.[0]?.path).toEqual(['definition', 'stages', 1, 'when']);
    const sideways = { stages: [{ name: 'a', agent: 'noop' }, { name: 'b', agent: 'noop', when: 'stages.a.status == "succeeded"' }] };
    const notUpstream = await http<ApiErrorBody>(s.orch.url, 'POST', '/v1/runs', { definition: sideways });
    expect(notUpstream.status).toBe(400);
    expect(notUpstream.body.error.issues?.[0]).toEqual({ path: ['definition', 'stages', 1, 'when'], message: 'references stage "a", which "b" does not depend on' });
  }, 300_000);
});

describe('run deadlines over HTTP with real processes', () => {
  it('abort the running stage and fail the run with RUN_DEADLINE_EXCEEDED, across an orchestrator kill -9', async () => {
    const s = await stack({ BATON_RECONCILE_INTERVAL_MS: '500' });
    const req = { definition: { stages: [{ name: 'slow', agent: 'noop', input: { ms: 120_000 }, timeoutMs: 600_000 }, { name: 'after', agent: 'noop', dependsOn: ['slow'] }] }, deadlineMs: 6000 };
    const created = await http<RunView>(s.orch.url, 'POST', '/v1/runs', req);
    expect(created.body.deadlineAt).not.toBeNull();
    const id = created.body.id;
    await waitRun(() => s.orch.url, id, (r) => r.stages[0]!.status === 'running');
    await s.orch.kill('SIGKILL');
    const orch = await track(spawnOrchestrator(s.redis.url, s.ns, { BATON_RECONCILE_INTERVAL_MS: '500' }, s.port));
    const done = await waitRun(() => orch.url, id, finished);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'RUN_DEADLINE_EXCEEDED', details: { abortedStages: ['slow'] } });
    expect(done.stages.map((st) => st.status)).toEqual(['cancelled', 'skipped']);
    // The agent was told to abort: its job leaves the queue well before the stage's 120 s sleep ends.
    await waitFor(
      async () => {
        const q = (await http<QueueList>(orch.url, 'GET', '/v1/queues')).body.items.find((i) => i.type === 'noop');
        return q !== undefined && q.active === 0;
      },
      { what: 'the aborted job to leave the queue', timeoutMs: 60_000 },
    );
  }, 300_000);
});

describe('run priorities over HTTP with real processes', () => {
  it('let a high-priority run overtake a backlog', async () => {
    const s = await stack({}, { BATON_AGENT_CONCURRENCY: '1' });
    expect((await http(s.orch.url, 'POST', '/v1/queues/noop/pause')).status).toBe(200);
    const one = (priority?: number) => ({ definition: { stages: [{ name: 'work', agent: 'noop', input: { ms: 100 } }] }, ...(priority ? { priority } : {}) });
    const backlog: string[] = [];
    for (let i = 0; i < 8; i++) backlog.push((await http<RunView>(s.orch.url, 'POST', '/v1/runs', one())).body.id);
    const hot = await http<RunView>(s.orch.url, 'POST', '/v1/runs', one(10));
    expect(hot.body.priority).toBe(10);
    const queues = await waitFor(
      async () => {
        const q = (await http<QueueList>(s.orch.url, 'GET', '/v1/queues')).body.items.find((i) => i.type === 'noop');
        return q && q.waiting === 9 ? q : undefined;
      },
      { what: 'nine jobs waiting' },
    );
    expect(queues.byPriority).toEqual({ '5': 8, '10': 1 });
    expect((await http(s.orch.url, 'POST', '/v1/queues/noop/resume')).status).toBe(200);
    const done = await Promise.all([hot.body.id, ...backlog].map((id) => waitRun(() => s.orch.url, id, finished)));
    const started = (r: RunView) => Date.parse(r.stages[0]!.startedAt!);
    const [first, ...rest] = done;
    for (const r of rest) expect(started(first!)).toBeLessThan(started(r));
  }, 300_000);
});
