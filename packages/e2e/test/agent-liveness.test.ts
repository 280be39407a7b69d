import { fileURLToPath } from 'node:url';
import type { AgentList } from '@baton/contracts';
import { ENTRYPOINTS, type Harness, parsePromText, promSum, spawnAgent, useTestStack, waitFor } from '@baton/testing';
import { describe, expect, it } from 'vitest';

/**
 * Liveness against real agent processes (issue 13, defect 5 and "Also"): a wedged agent is shown as
 * such and replaced; liveness does not depend on the agents' clocks; a stop is bounded when Redis is down.
 */
const stack = useTestStack();
let h: Harness;

const WEDGE_AGENT = fileURLToPath(new URL('./fixtures/wedge-agent.mjs', import.meta.url));
const SKEW_CLOCK = fileURLToPath(new URL('./fixtures/skew-clock.mjs', import.meta.url));

async function agentsView(): Promise<AgentList['items']> {
  const res = await h.request<AgentList>('GET', '/v1/agents');
  expect(res.status).toBe(200);
  return res.body.items;
}

async function livenessOf(agentId: string): Promise<string | undefined> {
  return (await agentsView()).find((a) => a.id === agentId)?.liveness;
}

describe('a wedged agent (its main event loop blocked for good)', () => {
  it('is shown wedged in the API, the metrics and the run view, is killed by its heartbeat thread, and its job is recovered', async () => {
    h = await stack.harness();
    const lockMs = 1000;
    const wedged = await spawnAgent(WEDGE_AGENT, stack.redis.target, h.ns, {
      WEDGE: '1',
      BATON_AGENT_ID: 'wedge-1',
      BATON_LOCK_DURATION_MS: String(lockMs),
      BATON_WEDGED_EXIT_LOCKS: '6',
    });
    stack.defer(() => wedged.kill());
    const run = await h.submit({ definition: { stages: [{ name: 's', agent: 'wedge' }] } });

    // The heartbeat thread still beats: the registry must not call it alive.
    await waitFor(async () => (await livenessOf('wedge-1')) === 'wedged', { what: 'the agent shown wedged', timeoutMs: 30_000 });
    const view = (await agentsView()).find((a) => a.id === 'wedge-1')!;
    expect(view.eventLoopBlockedMs).toBeGreaterThanOrEqual(lockMs);
    const metrics = parsePromText((await h.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(promSum(metrics, 'baton_agents', { agent: 'wedge', liveness: 'wedged' })).toBe(1);
    // The run view says why the stage makes no progress.
    const stage = (await h.run(run.id)).stages[0]!;
    expect(stage.status).toBe('running');
    expect(stage.agentId).toBe('wedge-1');
    expect(stage.waitingReason).toMatch(/agent "wedge-1" is wedged/);

    // After BATON_WEDGED_EXIT_LOCKS lock durations the thread kills the process (SIGKILL, status 137).
    const exit = await Promise.race([wedged.exited, new Promise<null>((r) => setTimeout(() => r(null), 60_000).unref())]);
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(wedged.output()).toContain('agent wedged: its event loop has been blocked past the bound');

    // Its replacement (as PM2/Docker would start) recovers the job through the stalled check.
    const next = await spawnAgent(WEDGE_AGENT, stack.redis.target, h.ns, { BATON_AGENT_ID: 'wedge-2', BATON_LOCK_DURATION_MS: String(lockMs) });
    stack.defer(() => next.kill('SIGTERM'));
    const done = await h.waitRun(run.id, undefined, 60_000);
    expect(done.status).toBe('succeeded');
    expect(done.stages[0]!.output).toEqual({ pid: next.pid });
  });
});

describe('liveness does not depend on the agents clocks', () => {
  it('an agent whose clock is an hour behind is alive; one an hour ahead, once killed, goes stale', async () => {
    h = await stack.harness();
    const skewed = (id: string, offsetMs: number) =>
      spawnAgent(ENTRYPOINTS.noop, stack.redis.target, h.ns, {
        BATON_AGENT_ID: id,
        BATON_TEST_CLOCK_OFFSET_MS: String(offsetMs),
        NODE_OPTIONS: `--import=${SKEW_CLOCK}`,
      });
    const behind = await skewed('noop-behind', -3_600_000);
    stack.defer(() => behind.kill('SIGTERM'));
    const ahead = await skewed('noop-ahead', 3_600_000);
    stack.defer(() => ahead.kill());
    expect(behind.output()).not.toContain('"level":50');

    // Both beat on time (200 ms): both alive, and the one behind can run a stage.
    await waitFor(async () => (await livenessOf('noop-behind')) === 'alive' && (await livenessOf('noop-ahead')) === 'alive', {
      what: 'both skewed agents alive',
      timeoutMs: 30_000,
    });
    await ahead.kill('SIGKILL');
    const run = await h.submit({ definition: { stages: [{ name: 's', agent: 'noop' }] } });
    expect((await h.waitRun(run.id, undefined, 60_000)).status).toBe('succeeded');

    // The one ahead stopped beating: its last beat (stamped an hour in the future by its own clock)
    // must age like any other.
    await waitFor(async () => ['stale', 'dead'].includes((await livenessOf('noop-ahead')) ?? 'gone'), { what: 'the killed agent no longer alive', timeoutMs: 30_000 });
    expect(await livenessOf('noop-behind')).toBe('alive');
  });
});

describe('an agent stopped while Redis is down', () => {
  it('exits within its bound on SIGTERM', async () => {
    h = await stack.harness();
    const agent = await spawnAgent(ENTRYPOINTS.noop, stack.redis.target, h.ns, {
      BATON_DRAIN_GRACE_MS: '1000',
      BATON_ABORT_GRACE_MS: '500',
      BATON_AGENT_ID: 'noop-cut-off',
      BATON_STOP_TIMEOUT_MS: '15000',
    });
    stack.defer(() => agent.kill());
    await waitFor(async () => (await livenessOf('noop-cut-off')) === 'alive', { what: 'the agent registered', timeoutMs: 30_000 });
    await stack.redis.kill();
    const t0 = Date.now();
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null;
    try {
      agent.child.kill('SIGTERM');
      exit = await Promise.race([agent.exited, new Promise<null>((r) => setTimeout(() => r(null), 40_000).unref())]);
    } finally {
      await stack.redis.start();
    }
    console.log('agent exit after Redis went down', exit, `${Date.now() - t0} ms`);
    await waitFor(async () => (await h.app.inject({ method: 'GET', url: '/ready' })).statusCode === 200, { what: 'the orchestrator ready again', timeoutMs: 30_000 });
    expect(exit, agent.output().slice(-3000)).not.toBeNull();
    expect(exit!.signal).toBeNull();
    expect([0, 77]).toContain(exit!.code);
  });
});

describe('an orchestrator stopped right after Redis came back', () => {
  it('stops within its bound even if a client is still reconnecting', async () => {
    // Each step of the stop is bounded (orchestrator.ts): a BullMQ Worker whose blocking client is
    // still reconnecting (back-off up to 2 s) can otherwise wait for ever (taskforcesh/bullmq#4656).
    h = await stack.harness({}, { closeStepTimeoutMs: 1000 });
    await h.submit({ definition: { stages: [{ name: 's', agent: 'noop' }] } });
    await stack.redis.kill();
    await new Promise((r) => setTimeout(r, 5000));
    await stack.redis.start();
    const stopped = await Promise.race([h.close().then(() => 'stopped' as const), new Promise<'hung'>((r) => setTimeout(() => r('hung'), 45_000).unref())]);
    expect(stopped).toBe('stopped');
  });
});
