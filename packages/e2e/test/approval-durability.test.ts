import type { RunList, RunView } from '@baton/contracts';
import { ENTRYPOINTS, freePort, http, spawnAgent, spawnOrchestrator, startRedis, testNamespace, type TestRedis, processTracker, waitRunOverHttp, runEventsOverHttp as events } from '@baton/testing';
import { afterEach, describe, expect, it } from 'vitest';

const { track, killAll } = processTracker();
const servers: TestRedis[] = [];

afterEach(async () => {
  await killAll();
  await Promise.all(servers.splice(0).map((r) => r.stop()));
});

const waitRun = (base: () => string, id: string, pred: (r: RunView) => boolean, timeoutMs = 90_000) => waitRunOverHttp(base, id, pred, { timeoutMs, intervalMs: 200 });

const GATED = (approval: Record<string, unknown>) => ({
  definition: {
    stages: [
      { name: 'build', agent: 'noop' },
      { name: 'gate', dependsOn: ['build'], approval: { message: 'deploy to production?', ...approval } },
      { name: 'deploy', agent: 'noop', dependsOn: ['gate'] },
    ],
  },
});

describe('approval stages over HTTP with real processes', () => {
  it('stay approvable across an orchestrator kill -9 and a Redis kill -9 and restart', async ({ skip }) => {
    const redis = await startRedis();
    servers.push(redis);
    if (!redis.controllable) skip('needs a Redis the test controls (REDIS_URL is set)');
    const ns = testNamespace();
    const port = await freePort();
    let orch = await track(spawnOrchestrator(redis.url, ns, {}, port));
    await track(spawnAgent(ENTRYPOINTS.noop, redis.url, ns));
    const submitted = await http<RunView>(orch.url, 'POST', '/v1/runs', GATED({}));
    expect(submitted.status).toBe(202);
    const id = submitted.body.id;
    const waiting = await waitRun(() => orch.url, id, (r) => r.status === 'waiting');
    expect(waiting.waitingOn).toEqual(['gate']);
    expect(waiting.stages.map((s) => s.status)).toEqual(['succeeded', 'waiting', 'pending']);
    const listed = await http<RunList>(orch.url, 'GET', '/v1/runs?status=waiting');
    expect(listed.body.items.map((r) => r.id)).toContain(id);

    await orch.kill('SIGKILL');
    await redis.kill();
    await redis.start();
    orch = await track(spawnOrchestrator(redis.url, ns, {}, port));

    const still = await waitRun(() => orch.url, id, () => true);
    expect(still.status).toBe('waiting');
    const approved = await http<RunView>(orch.url, 'POST', `/v1/runs/${id}/stages/gate/approve`, { comment: 'after the outage' });
    expect(approved.status).toBe(200);
    expect(approved.body.stages[1]!.output).toMatchObject({ decision: 'approved', by: null, comment: 'after the outage' });
    const again = await http(orch.url, 'POST', `/v1/runs/${id}/stages/gate/approve`, {});
    expect(again.status).toBe(409);

    const done = await waitRun(() => orch.url, id, (r) => r.status === 'succeeded' || r.status === 'failed');
    expect(done.status).toBe('succeeded');
    const succeeded = (await events(orch.url, id)).filter((e) => e.type === 'stage.succeeded').map((e) => (e as { stage: string }).stage);
    expect(succeeded.sort()).toEqual(['build', 'deploy', 'gate']);
  }, 300_000);

  it('time out from the reconciler pass even when the orchestrator that started the wait was killed', async () => {
    const redis = await startRedis();
    servers.push(redis);
    const ns = testNamespace();
    const port = await freePort();
    const env = { BATON_RECONCILE_INTERVAL_MS: '500' };
    let orch = await track(spawnOrchestrator(redis.url, ns, env, port));
    await track(spawnAgent(ENTRYPOINTS.noop, redis.url, ns));
    const id = (await http<RunView>(orch.url, 'POST', '/v1/runs', GATED({ timeoutMs: 3000 }))).body.id;
    const waiting = await waitRun(() => orch.url, id, (r) => r.status === 'waiting');
    expect(waiting.stages[1]!.waitingUntil).not.toBeNull();
    await orch.kill('SIGKILL');
    orch = await track(spawnOrchestrator(redis.url, ns, env, port));

    const done = await waitRun(() => orch.url, id, (r) => r.status === 'failed' || r.status === 'succeeded');
    expect(done.status).toBe('failed');
    expect(done.stages[1]!.error).toMatchObject({ code: 'APPROVAL_TIMEOUT', details: { decision: 'timed-out' } });
    expect(done.stages[2]!.status).toBe('skipped');
    const rejected = await http(orch.url, 'POST', `/v1/runs/${id}/stages/gate/reject`, {});
    expect(rejected.status).toBe(409);
  }, 300_000);
});
