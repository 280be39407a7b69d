import { noopAgent } from '@baton/agent-noop';
import { AGENT_RECORD_TTL_MS, PROTOCOL_VERSION, type AgentHeartbeat, type AgentList } from '@baton/contracts';
import { ENTRYPOINTS, type Harness, spawnAgent, useTestStack, waitFor } from '@baton/testing';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';

const stack = useTestStack();
let h: Harness;

async function agents(): Promise<AgentList['items']> {
  return (await h.request<AgentList>('GET', '/v1/agents')).body.items;
}

const liveness = async (id: string) => (await agents()).find((a) => a.id === id)?.liveness;

describe('agent registry liveness', () => {
  it('shows alive agents, a deaf one while work waits, then stale and dead when beats stop', async () => {
    h = await stack.harness({ agentDeafAfterMs: 400 });
    // A process that heartbeats in the registry's format but never consumes its queue: deaf.
    const beats = new Redis(stack.redis.url);
    const startedAt = new Date(Date.now() - 60_000).toISOString();
    const beat = async () => {
      const hb: AgentHeartbeat = {
        protocol: PROTOCOL_VERSION,
        id: 'deaf-1',
        type: 'noop',
        host: 'test',
        pid: 1,
        version: '0.1.0',
        concurrency: 2,
        state: 'running',
        active: [],
        lastTaskAt: null,
        startedAt,
        beatAt: new Date().toISOString(),
        intervalMs: 200,
        eventLoopBlockedMs: 0,
        metricsPort: null,
      };
      await beats.multi().set(h.keys.agent(hb.id), JSON.stringify(hb), 'PX', AGENT_RECORD_TTL_MS).zadd(h.keys.agents(), Date.now(), hb.id).exec();
    };
    await beat();
    const timer = setInterval(() => void beat(), 200);
    try {
      expect(await liveness('deaf-1')).toBe('alive'); // nothing waits yet
      const run = await h.submit({ definition: { stages: [{ name: 's', agent: 'noop' }] } });
      await waitFor(async () => (await liveness('deaf-1')) === 'deaf', { what: 'deaf-1 deaf' });

      const real = await h.agent(noopAgent);
      expect((await h.waitRun(run.id)).status).toBe('succeeded');
      await waitFor(async () => (await liveness(real.id)) === 'alive', { what: 'real agent alive' });
      await waitFor(async () => (await liveness('deaf-1')) === 'alive', { what: 'deaf-1 alive once nothing waits' });
      const listed = (await agents()).find((a) => a.id === real.id)!;
      expect(listed).toMatchObject({ type: 'noop', concurrency: 8, state: 'running', compatible: true, protocol: PROTOCOL_VERSION });
    } finally {
      clearInterval(timer);
    }
    await waitFor(async () => (await liveness('deaf-1')) === 'stale', { what: 'deaf-1 stale' });
    await waitFor(async () => (await liveness('deaf-1')) === 'dead', { what: 'deaf-1 dead' });
    beats.disconnect();
  });

  it('marks an agent from an incompatible protocol', async () => {
    h = await stack.harness();
    const c = new Redis(stack.redis.url);
    const hb = { protocol: 99, id: 'future-1', type: 'noop', host: 'h', pid: 2, version: '9.0.0', concurrency: 1, state: 'running', active: [], lastTaskAt: null, startedAt: new Date().toISOString(), beatAt: new Date().toISOString(), intervalMs: 1000, eventLoopBlockedMs: 0, metricsPort: null };
    await c.multi().set(h.keys.agent(hb.id), JSON.stringify(hb)).zadd(h.keys.agents(), Date.now(), hb.id).exec();
    c.disconnect();
    const a = (await agents()).find((x) => x.id === 'future-1')!;
    expect(a.compatible).toBe(false);
    expect(a.incompatibleReason).toBe('agent speaks protocol 99, this orchestrator only knows up to 1: upgrade the orchestrator');
  });

  it('keeps heartbeating while a handler burns the CPU, and removes a cleanly stopped agent', async () => {
    h = await stack.harness();
    const proc = await spawnAgent(ENTRYPOINTS.noop, stack.redis.url, h.ns, { BATON_AGENT_ID: 'burner-1', BATON_LOCK_DURATION_MS: '20000' });
    try {
      const run = await h.submit({ definition: { stages: [{ name: 'burn', agent: 'noop', input: { cpuMs: 2500 } }] } });
      await h.waitStage(run.id, 'burn', 'running');
      // While the main thread spins, the heartbeat thread keeps the agent alive and reports the block.
      const seen = await waitFor(async () => {
        const a = (await agents()).find((x) => x.id === 'burner-1');
        return a && a.eventLoopBlockedMs >= 1000 ? a : undefined;
      }, { what: 'blocked event loop reported', timeoutMs: 10_000 });
      expect(seen.liveness).toBe('alive');
      expect(seen.active).toEqual([`${run.id}.burn.1`]);
      expect((await h.waitRun(run.id)).status).toBe('succeeded');
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toEqual({ code: 0, signal: null });
      expect((await agents()).find((x) => x.id === 'burner-1')).toBeUndefined();
    } finally {
      await proc.kill();
    }
  });
});
