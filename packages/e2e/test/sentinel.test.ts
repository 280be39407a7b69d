import { noopAgent } from '@baton/agent-noop';
import { startRedisSentinel, useTestStack, type BatonProcess } from '@baton/testing';
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

  it('completes every accepted run exactly once across a SENTINEL FAILOVER (real processes)', async () => {
    const outcome = await runsSurviveFailover(
      stack.redis.target,
      async () => {
        const { from, to } = await stack.redis.failover();
        expect(await stack.redis.masterPort()).toBe(to);
        expect(to).not.toBe(from);
      },
      procs,
    );
    expect(outcome.accepted).toBeGreaterThan(12);
    console.log(`sentinel failover: ${JSON.stringify(outcome)}`);
  }, 150_000);
});
