import { noopAgent } from '@baton/agent-noop';
import { nodeCommand, startRedisSentinel, useTestStack, type BatonProcess } from '@baton/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { CHAIN, runsSurviveFailover } from './failover-support.js';
import { describeRunLifecycle } from './run-lifecycle-scenarios.js';

// A real Sentinel setup: a master, a replica and three sentinels (redis-server --sentinel).
const stack = useTestStack({ start: startRedisSentinel });
const procs: BatonProcess[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill('SIGKILL')));
});

describeRunLifecycle(stack, 'Redis Sentinel');

describe('on Redis Sentinel (master, replica, three sentinels)', () => {
  it('runs the noop pipelines through the master the sentinels name', async () => {
    const h = await stack.harness();
    await h.agent(noopAgent, { concurrency: 4 });
    const runs = [await h.submit({ pipeline: 'demo' }), await h.submit(CHAIN(10))];
    for (const r of runs) expect((await h.waitRun(r.id)).status).toBe('succeeded');
    expect(Number(await stack.redis.command('EXISTS', h.keys.run(runs[0]!.id)))).toBe(1);
  });

  it('acknowledges a run only once enough replicas hold it (BATON_ACCEPT_REPLICAS)', async () => {
    const h = await stack.harness({ acceptReplicas: 1, acceptReplicasTimeoutMs: 2000 });
    const ok = await h.request<{ id: string }>('POST', '/v1/runs', CHAIN(10), { 'idempotency-key': 'one' });
    expect(ok.status).toBe(202);
    // The replica has it: read it there directly.
    const replica = await stack.redis.replicaPort();
    expect(Number(await nodeCommand(replica, 'EXISTS', h.keys.run(ok.body.id)))).toBe(1);

    // Two replicas are asked for, one exists: refused (and so is the replay), never a silent 202.
    const strict = await stack.harness({ acceptReplicas: 2, acceptReplicasTimeoutMs: 200 });
    const refused = await strict.request<{ error: { code: string } }>('POST', '/v1/runs', CHAIN(10), { 'idempotency-key': 'two' });
    expect([refused.status, refused.body.error.code]).toEqual([503, 'REDIS_UNAVAILABLE']);
    const replay = await strict.request<{ error: { code: string } }>('POST', '/v1/runs', CHAIN(10), { 'idempotency-key': 'two' });
    expect(replay.status).toBe(503);
  });

  it('completes every accepted run, committing each stage once, across a SENTINEL FAILOVER (real processes)', async () => {
    const outcome = await runsSurviveFailover(
      stack.redis.target,
      async () => {
        const { from, to } = await stack.redis.failover();
        expect(await stack.redis.masterPort()).toBe(to);
        expect(to).not.toBe(from);
      },
      procs,
      // Sentinel's failover is not coordinated: a lock or completion the old master acknowledged just
      // before it was replaced can be lost, and that stage runs again (committed once). Only stages in
      // flight at that moment can: at most the agents' 8 slots.
      { maxReExecutions: 8 },
    );
    expect(outcome.accepted).toBeGreaterThan(12);
    console.log(`sentinel failover: ${JSON.stringify(outcome)}`);
  }, 150_000);
});
