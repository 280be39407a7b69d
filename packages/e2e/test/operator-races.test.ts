import { noopAgent } from '@baton/agent-noop';
import type { RunView } from '@baton/contracts';
import { cancel, enforceRetentionFully, mutateRun } from '@baton/engine';
import { defineAgent } from '@baton/runtime';
import { type Harness, testNamespace, testOrchestrator, useTestStack, waitFor } from '@baton/testing';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';

/** Operator actions racing the engine's own passes (issue 13), each interleaving forced deterministically. */
const stack = useTestStack();
let h: Harness;

const oneStage = { definition: { stages: [{ name: 's', agent: 'noop' }] } };

describe('retention racing a retry', () => {
  it('never deletes a run a retry made active after retention chose it', async () => {
    h = await stack.harness();
    const agent = await h.agent(noopAgent);
    const run = await h.submit(oneStage);
    await h.waitRun(run.id);
    // No agent: the retried stage stays queued, so the run stays active.
    await agent.stop('shutdown');
    expect((await h.request('POST', `/v1/runs/${run.id}/retry`, { fromStage: 's' })).status).toBe(200);
    // Retention read the id from the finished index before the retry; it loads the run after it.
    const loaded = await h.engine.ctx.store.load(run.id);
    expect(loaded?.doc.status).not.toBe('succeeded');
    expect(await h.engine.ctx.store.delete(loaded!)).toBe(false);
    expect((await h.request<RunView>('GET', `/v1/runs/${run.id}`)).status).toBe(200);
  });
});

describe('an Idempotency-Key replayed after retention', () => {
  it('never yields a second run within the key TTL: 410 IDEMPOTENCY_RUN_DELETED', async () => {
    h = await stack.harness();
    await h.agent(noopAgent);
    const first = await h.request<RunView>('POST', '/v1/runs', oneStage, { 'idempotency-key': 'k-1' });
    expect(first.status).toBe(202);
    await h.waitRun(first.body.id);
    // The orchestrator's own loop keeps everything; the pass under test keeps nothing.
    expect(await enforceRetentionFully({ ...h.engine.ctx, config: { ...h.engine.ctx.config, runRetentionCount: 0 } })).toBe(1);
    expect((await h.request('GET', `/v1/runs/${first.body.id}`)).status).toBe(404);
    const again = await h.request<{ error: { code: string } }>('POST', '/v1/runs', oneStage, { 'idempotency-key': 'k-1' });
    expect(again.status).toBe(410);
    expect(again.body.error.code).toBe('IDEMPOTENCY_RUN_DELETED');
    // A different body with the spent key is still a conflict; a new key makes a new run.
    const other = await h.request<{ error: { code: string } }>('POST', '/v1/runs', { ...oneStage, input: { x: 1 } }, { 'idempotency-key': 'k-1' });
    expect(other.status).toBe(409);
    expect((await h.request('POST', '/v1/runs', oneStage, { 'idempotency-key': 'k-2' })).status).toBe(202);
    expect(await stack.redis.command('ZCARD', h.keys.runsByCreated())).toBeLessThanOrEqual(1);
  });
});

describe('a cancelled stage whose job is still queued', () => {
  it('is never executed, and the repair pass removes its job (orchestrator died between the cancel commit and the removal)', async () => {
    // The orchestrator's own repair loop stays idle: the test runs its passes itself, after the agent took the job.
    h = await stack.harness({ reconcileIntervalMs: 3_600_000 });
    let calls = 0;
    const counter = defineAgent({
      type: 'counter',
      input: z.unknown(),
      output: z.object({}),
      handler() {
        calls++;
        return Promise.resolve({});
      },
    });
    const first = await h.agent(counter);
    await first.stop('shutdown');
    const run = await h.submit({ definition: { stages: [{ name: 's', agent: 'counter' }] } });
    const jobId = `${run.id}.s.1`;
    expect(['waiting', 'prioritized']).toContain(await h.engine.ctx.queues.state('counter', jobId));
    // The cancel is committed; its effects (removing the job) never run.
    await mutateRun(h.engine.ctx, run.id, (d, now) => cancel(d, 'operator', now));
    expect((await h.run(run.id)).status).toBe('cancelled');
    await h.agent(counter);
    await waitFor(async () => !['waiting', 'prioritized'].includes(await h.engine.ctx.queues.state('counter', jobId)), { what: 'the agent took the job' });
    await waitFor(async () => {
      await h.engine.reconcileNow();
      return (await h.engine.ctx.queues.state('counter', jobId)) === 'unknown';
    }, { what: 'the superseded job removed' });
    expect(await stack.redis.command('ZCARD', h.keys.supersededJobs())).toBe(0);
    expect(calls).toBe(0);
    expect((await h.run(run.id)).status).toBe('cancelled');
  });
});

describe('BATON_ACCEPT_FSYNC', () => {
  it('refuses to start, with a clear reason, on a Redis without WAITAOF (< 7.2)', async () => {
    const version = /redis_version:(\d+)\.(\d+)/.exec(String(await stack.redis.command('INFO', 'server')))!;
    if (Number(version[1]) > 7 || (Number(version[1]) === 7 && Number(version[2]) >= 2)) return; // this server supports it
    await expect(testOrchestrator(stack.redis.url, testNamespace(), { acceptFsync: true })).rejects.toThrow(/BATON_ACCEPT_FSYNC=true needs Redis >= 7\.2 \(WAITAOF\); this server is 7\.0/);
  });
});
