import { noopAgent } from '@baton/agent-noop';
import { freePort, parsePromText, promSum, startStallingProxy, testAgent, useTestStack, waitFor } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { CHAIN } from './failover-support.js';

const stack = useTestStack();

async function recoveries(metricsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  return promSum(parsePromText(text), 'baton_agent_worker_recoveries_total');
}

describe('a worker never stays deaf', () => {
  it('reconnects a worker whose connection went silent (half-open) and takes the waiting work', async () => {
    const h = await stack.harness();
    // The agent reaches Redis through a proxy that can silence a connection without closing it.
    const proxy = await startStallingProxy(Number(new URL(stack.redis.url).port));
    stack.defer(() => proxy.close());
    const metricsPort = await freePort();
    const agent = await testAgent(noopAgent, proxy.url, h.ns, { agentId: `deaf-${h.ns}`, watchdogMs: 1000, metricsPort, metricsHost: '127.0.0.1' });
    stack.defer(() => agent.stop('shutdown'));
    expect((await h.waitRun((await h.submit(CHAIN(10))).id)).status).toBe('succeeded');
    expect(await recoveries(metricsPort)).toBe(0);

    // Silence the worker's command connection (the one that moves jobs to active; not the blocking
    // fetch, whose stalls BullMQ itself times out). No error, no close: the worker just hears nothing,
    // so the wake-up for the next job leads to a fetch that never returns.
    const silenced = await waitFor(() => proxy.stall((sent) => sent.includes(`baton-worker-deaf-${h.ns}`) && !sent.includes('bzpopmin')), {
      what: 'the worker connection to silence',
    });
    expect(silenced).toBe(1);
    const run = await h.submit(CHAIN(10));
    // The watchdog sees the job ready, a slot free and nothing taken, and reconnects the worker.
    expect((await h.waitRun(run.id)).status).toBe('succeeded');
    expect(await recoveries(metricsPort)).toBeGreaterThanOrEqual(1);
  });
});
