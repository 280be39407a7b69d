import { noopAgent } from '@baton/agent-noop';
import type { RunView } from '@baton/contracts';
import { enforceRetentionFully } from '@baton/engine';
import { type Harness, useTestStack } from '@baton/testing';
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
