import { noopAgent } from '@baton/agent-noop';
import { keys } from '@baton/contracts';
import { infoField, nodeCommand, startRedisCluster, useTestStack, waitFor, type BatonProcess } from '@baton/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { CHAIN, runsSurviveFailover } from './failover-support.js';
import { describeRunLifecycle } from './run-lifecycle-scenarios.js';

// A real cluster: six redis-server --cluster-enabled processes, three masters and three replicas.
const stack = useTestStack({ start: startRedisCluster });
const procs: BatonProcess[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill('SIGKILL')));
});

describeRunLifecycle(stack, 'a Redis Cluster');

describe('on a Redis Cluster (three masters, three replicas)', () => {
  it('keeps every key of a deployment in its namespace slot, on one master', async () => {
    const h = await stack.harness();
    await h.agent(noopAgent, { concurrency: 4 });
    const runs = [await h.submit({ pipeline: 'demo' }), await h.submit(CHAIN(10)), await h.submit(CHAIN(10))];
    for (const r of runs) expect((await h.waitRun(r.id)).status).toBe('succeeded');

    const { master, slot } = await stack.redis.shardOf(h.keys.hashTag);
    let mine = 0;
    const masters: number[] = [];
    for (const { port } of stack.redis.nodes) {
      if (infoField(await nodeCommand(port, 'INFO', 'replication'), 'role') !== 'master') continue;
      masters.push(port);
      const all = (await nodeCommand(port, 'KEYS', '*')) as string[];
      // No key anywhere is built without a deployment's hash tag.
      expect(all.filter((k) => !/^\{[a-z][a-z0-9-]*\}:/.test(k))).toEqual([]);
      const ours = all.filter((k) => k.startsWith(`${h.keys.hashTag}:`));
      if (port !== master) expect(ours).toEqual([]);
      else mine = ours.length;
      for (const k of ours.slice(0, 20)) expect(Number(await nodeCommand(port, 'CLUSTER', 'KEYSLOT', k))).toBe(slot);
    }
    expect(mine).toBeGreaterThan(10); // runs, events, indexes, queues, registry...
    // The readiness check reads every master's eviction policy, not just the one INFO happens to reach.
    expect((await h.request<{ status: string }>('GET', '/ready')).body.status).toBe('ready');
    expect(masters).toHaveLength(3);
    const elsewhere = masters.find((p) => p !== master)!;
    await nodeCommand(elsewhere, 'CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
    try {
      await waitFor(async () => (await h.request<{ status: string }>('GET', '/ready')).status === 503, { what: '/ready to see the evicting master' });
    } finally {
      await nodeCommand(elsewhere, 'CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    }
  });

  it('completes every accepted run exactly once across a CLUSTER FAILOVER of the namespace master (real processes)', async () => {
    const outcome = await runsSurviveFailover(
      stack.redis.target,
      async (ns) => {
        // The master of the namespace's slot changes while stages run and runs are being submitted.
        const { from, to } = await stack.redis.failover(keys(ns).hashTag);
        expect(await stack.redis.shardOf(keys(ns).hashTag)).toMatchObject({ master: to, replica: from });
      },
      procs,
    );
    expect(outcome.accepted).toBeGreaterThan(12);
    console.log(`cluster failover: ${JSON.stringify(outcome)}`);
  }, 150_000);
});
