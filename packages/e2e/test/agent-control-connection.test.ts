import { noopAgent } from '@baton/agent-noop';
import { defineAgent } from '@baton/runtime';
import { useTestStack, waitFor, type Harness } from '@baton/testing';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';

/**
 * An idle agent keeps no control stream reader (3 connections, not 4): a drain reaches it through its
 * heartbeat record; while it runs a task the reader is connected and a cancel reaches the handler.
 */
const stack = useTestStack();

async function connectionsOf(agentId: string): Promise<string[]> {
  const list = String(await stack.redis.command('CLIENT', 'LIST'));
  return [...list.matchAll(/ name=(\S+)/g)].map((m) => m[1]!).filter((n) => n.endsWith(agentId));
}

describe('the control stream reader of an agent', () => {
  it('is not connected while the agent is idle; a drain still reaches it, through a beat', async () => {
    const h: Harness = await stack.harness();
    const agent = await h.agent(noopAgent, { agentId: 'idle-1', heartbeatMs: 200 });
    // Give a wrongly opened reader time to show up.
    await new Promise((r) => setTimeout(r, 1000));
    const names = await connectionsOf('idle-1');
    expect(names.some((n) => n.startsWith('baton-control-'))).toBe(false);
    expect(names.length).toBeLessThanOrEqual(3);

    expect((await h.request('POST', '/v1/agents/idle-1/drain')).status).toBe(202);
    expect(await agent.stopped).toEqual({ mode: 'drain', exitCode: 0 });
  });

  it('is connected while a task runs, and a cancel reaches the handler', async () => {
    const h: Harness = await stack.harness();
    let started = false;
    let aborted = false;
    const waiter = defineAgent({
      type: 'waiter',
      input: z.unknown(),
      output: z.object({}),
      async handler(ctx) {
        started = true;
        await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
        aborted = true;
        return {};
      },
    });
    await h.agent(waiter, { agentId: 'busy-1' });
    const run = await h.submit({ definition: { stages: [{ name: 's', agent: 'waiter' }] } });
    await waitFor(() => started, { what: 'the handler started' });
    await waitFor(async () => (await connectionsOf('busy-1')).some((n) => n.startsWith('baton-control-')), { what: 'the control reader connected' });
    expect((await h.request('POST', `/v1/runs/${run.id}/cancel`, {})).status).toBeLessThan(300);
    await waitFor(() => aborted, { what: 'the handler aborted by the cancel', timeoutMs: 10_000 });
    expect((await h.waitRun(run.id)).status).toBe('cancelled');
  });

  it('does not obey a command marked on an earlier process record of the same agent id', async () => {
    const h: Harness = await stack.harness();
    const first = await h.agent(noopAgent, { agentId: 'same-id', heartbeatMs: 200 });
    await first.stop();
    // As if the earlier process died (kill -9) right after a drain was marked on its record.
    await stack.redis.command('SET', h.keys.agent('same-id'), JSON.stringify({ control: { kind: 'drain', id: '1-0' }, id: 'same-id' }), 'PX', 60_000);
    const second = await h.agent(noopAgent, { agentId: 'same-id', heartbeatMs: 200 });
    const outcome = await Promise.race([second.stopped, new Promise((r) => setTimeout(() => r('still running'), 1500))]);
    expect(outcome).toBe('still running');
    // A drain sent to this process does reach it.
    expect((await h.request('POST', '/v1/agents/same-id/drain')).status).toBe(202);
    expect(await second.stopped).toEqual({ mode: 'drain', exitCode: 0 });
  });
});
