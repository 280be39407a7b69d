import { noopAgent } from '@baton/agent-noop';
import type { AgentCommandAccepted, AgentList, FleetDrain, QueueList, RunView } from '@baton/contracts';
import type { AgentHandle } from '@baton/runtime';
import { useTestStack, waitFor, type Harness } from '@baton/testing';
import { describe, expect, it } from 'vitest';

const stack = useTestStack();

const agentsOf = async (h: Harness) => (await h.request<AgentList>('GET', '/v1/agents')).body.items;
const livenessOf = async (h: Harness, id: string) => (await agentsOf(h)).find((a) => a.id === id)?.liveness;

describe('operator controls', () => {
  it('drain: the agent finishes the task it holds, leaves the registry and exits 0', async () => {
    const h = await stack.harness();
    const agent = await h.agent(noopAgent, { agentId: 'drain-me' });
    const run = await h.submit({ definition: { stages: [{ name: 's', agent: 'noop', input: { ms: 1200 } }, { name: 't', agent: 'noop', dependsOn: ['s'] }] } });
    await h.waitStage(run.id, 's', 'running');

    const res = await h.request<AgentCommandAccepted>('POST', '/v1/agents/drain-me/drain');
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ agentId: 'drain-me', type: 'noop', action: 'drain' });
    await waitFor(async () => (await livenessOf(h, 'drain-me')) === 'draining', { what: 'draining' });
    expect(await agent.stopped).toEqual({ mode: 'drain', exitCode: 0 });
    expect(await livenessOf(h, 'drain-me')).toBeUndefined();

    const mid = await h.run(run.id);
    expect(mid.stages[0]).toMatchObject({ status: 'succeeded', agentId: 'drain-me', attempts: 1 });
    expect(mid.stages[1]!.status).toBe('queued'); // nobody took it: the drained agent stopped taking tasks
    await h.agent(noopAgent, { agentId: 'fresh' }); // what PM2 does after the exit
    expect((await h.waitRun(run.id)).status).toBe('succeeded');
  });

  it('restart: the agent hands its task back without using an attempt and exits 75', async () => {
    const h = await stack.harness();
    const agent = await h.agent(noopAgent, { agentId: 'restart-me' });
    const run = await h.submit({ definition: { stages: [{ name: 's', agent: 'noop', input: { ms: 60_000 } }] } });
    await h.waitStage(run.id, 's', 'running');
    expect((await h.request('POST', '/v1/agents/restart-me/restart')).status).toBe(202);
    expect(await agent.stopped).toEqual({ mode: 'restart', exitCode: 75 });

    await h.agent(noopAgent, { agentId: 'replacement' });
    const running = await h.waitRun(run.id, (r) => r.stages[0]!.agentId === 'replacement' && r.stages[0]!.status === 'running');
    expect(running.stages[0]!.attempts).toBe(1);
    await h.request('POST', `/v1/runs/${run.id}/cancel`);
  });

  it('drains a fleet one agent at a time, waiting for each replacement', async () => {
    const h = await stack.harness();
    const live = new Map<string, AgentHandle>();
    const order: string[] = [];
    let n = 0;
    // Plays PM2: when an agent exits, start a fresh one.
    const supervise = async (id: string) => {
      const a = await h.agent(noopAgent, { agentId: id });
      order.push(`started ${id}`);
      live.set(id, a);
      void a.stopped.then(async () => {
        order.push(`stopped ${id}`);
        live.delete(id);
        await supervise(`noop-${++n}`);
      });
    };
    await supervise('noop-a');
    await supervise('noop-b');
    const started = await h.request<FleetDrain>('POST', '/v1/fleets/noop/drain');
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ type: 'noop', status: 'running', baseline: 2 });
    expect((await h.request('POST', '/v1/fleets/noop/drain')).status).toBe(409);

    const done = await waitFor(async () => {
      const d = (await h.request<FleetDrain>('GET', '/v1/fleets/noop/drain')).body;
      return d.status === 'done' ? d : undefined;
    }, { what: 'fleet drain done', timeoutMs: 30_000 });
    expect(done.done.sort()).toEqual(['noop-a', 'noop-b']);
    expect(done.notes).toEqual([]);
    // One at a time: the second agent stopped only after the first one's replacement was up.
    await waitFor(() => order.includes('started noop-2'), { what: 'second replacement' });
    const first = order.find((e) => e.startsWith('stopped'))!;
    const second = order.filter((e) => e.startsWith('stopped'))[1]!;
    expect(order.indexOf('started noop-1')).toBeGreaterThan(order.indexOf(first));
    expect(order.indexOf(second)).toBeGreaterThan(order.indexOf('started noop-1'));
    await waitFor(async () => (await agentsOf(h)).filter((a) => a.liveness === 'alive').length === 2, { what: 'fleet back to 2' });
  });

  it('pauses and resumes a queue; waiting work on a paused queue does not make agents deaf', async () => {
    const h = await stack.harness({ agentDeafAfterMs: 200 });
    const agent = await h.agent(noopAgent);
    const paused = await h.request<{ type: string; paused: boolean }>('POST', '/v1/queues/noop/pause');
    expect(paused.body).toMatchObject({ type: 'noop', paused: true });
    const run = await h.submit({ definition: { stages: [{ name: 's', agent: 'noop' }] } });
    const q = await waitFor(async () => {
      const item = (await h.request<QueueList>('GET', '/v1/queues')).body.items.find((i) => i.type === 'noop');
      return item && item.waiting === 1 ? item : undefined;
    }, { what: 'job waiting on paused queue' });
    expect(q).toMatchObject({ paused: true, active: 0, agentsAlive: 1 });
    // Wait past the deaf threshold: still alive, not deaf.
    await new Promise((r) => setTimeout(r, 400));
    expect(await livenessOf(h, agent.id)).toBe('alive');
    expect((await h.run(run.id)).stages[0]!.status).toBe('queued');

    expect((await h.request('POST', '/v1/queues/noop/resume')).status).toBe(200);
    expect((await h.waitRun(run.id)).status).toBe('succeeded');
  });

  it('answers 404 for unknown agents and types', async () => {
    const h = await stack.harness();
    expect((await h.request('POST', '/v1/agents/nobody/drain')).status).toBe(404);
    expect((await h.request('POST', '/v1/fleets/noop/drain')).status).toBe(404);
    expect((await h.request('POST', '/v1/queues/zzz/pause')).status).toBe(404);
    expect((await h.request<RunView>('GET', '/v1/fleets/noop/drain')).status).toBe(404);
  });
});
