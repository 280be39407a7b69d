import { noopAgent } from '@baton/agent-noop';
import type { RunList, RunView } from '@baton/contracts';
import { enforceRetentionFully } from '@baton/engine';
import { type Harness, inject, testOrchestrator, useTestStack, waitFor } from '@baton/testing';
import { describe, expect, it } from 'vitest';

const stack = useTestStack();
let h: Harness;

describe('bounded memory', () => {
  it('deletes finished runs beyond the retention count, with their events', async () => {
    h = await stack.harness({ runRetentionCount: 2 });
    await h.agent(noopAgent);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await h.submit({ definition: { stages: [{ name: 's', agent: 'noop' }] } });
      await h.waitRun(r.id);
      ids.push(r.id);
    }
    await waitFor(async () => (await h.request<RunList>('GET', '/v1/runs')).body.items.length === 2, { what: 'retention' });
    expect((await h.request<RunList>('GET', '/v1/runs')).body.items.map((r) => r.id)).toEqual([ids[3], ids[2]]);
    expect((await h.request('GET', `/v1/runs/${ids[0]}`)).status).toBe(404);
    expect(await stack.redis.command('EXISTS', h.keys.runEvents(ids[0]!), h.keys.run(ids[0]!))).toBe(0);
    expect(await stack.redis.command('ZCARD', h.keys.runsFinished())).toBe(2);
  });

  it('catches up in one pass when more runs finished than one retention batch', async () => {
    // The orchestrator's own loop keeps everything; the pass under test keeps one run, two per batch.
    h = await stack.harness({ runRetentionCount: 1000 });
    await h.agent(noopAgent);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await h.submit({ definition: { stages: [{ name: 's', agent: 'noop' }] } })).id);
    for (const id of ids) await h.waitRun(id);
    const ctx = { ...h.engine.ctx, config: { ...h.engine.ctx.config, runRetentionCount: 1 } };
    expect(await enforceRetentionFully(ctx, 60_000, 2)).toBe(4);
    expect(await stack.redis.command('ZCARD', h.keys.runsFinished())).toBe(1);
  });
});

describe('several orchestrators', () => {
  it('share one Redis with no in-memory state: runs submitted to either finish, each stage committed once', async () => {
    h = await stack.harness();
    const second = await testOrchestrator(stack.redis.url, h.ns);
    try {
      await h.agent(noopAgent, { concurrency: 8 });
      const apps = [h.app, second.app];
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        const res = await inject<RunView>(apps[i % 2]!, 'POST', '/v1/runs', { pipeline: 'demo', input: { i } });
        ids.push(res.body.id);
      }
      for (const id of ids) {
        // Read through the other instance than the one that accepted it.
        const done = await waitFor(async () => {
          const r = (await inject<RunView>(apps[(ids.indexOf(id) + 1) % 2]!, 'GET', `/v1/runs/${id}`)).body;
          return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
        }, { what: `run ${id}` });
        expect(done.status).toBe('succeeded');
        const events = (await h.engine.events(id)).map((e) => JSON.parse(e.json) as { type: string; stage?: string });
        const succeeded = events.filter((e) => e.type === 'stage.succeeded').map((e) => e.stage);
        expect(succeeded.sort()).toEqual(['build', 'lint', 'package', 'plan']);
      }
    } finally {
      await second.close();
    }
  });
});

describe('OpenAPI', () => {
  it('documents every route at /docs', async () => {
    h = await stack.harness();
    const doc = await h.request<{ openapi: string; paths: Record<string, unknown> }>('GET', '/docs/json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/v1/runs', '/v1/runs/{id}', '/v1/runs/{id}/cancel', '/v1/runs/{id}/retry', '/v1/runs/{id}/events', '/v1/agents', '/v1/pipelines/{name}', '/ready']),
    );
    expect((await h.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
  });
});

describe('reconciler cost', () => {
  it('does not scan the wait list for each queued job of a backlog (no LPOS per job)', async () => {
    h = await stack.harness();
    // The agent registers the type; with its queue paused every run's stage waits in the queue.
    await h.agent(noopAgent);
    await h.request('POST', '/v1/queues/noop/pause');
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await h.submit({ definition: { stages: [{ name: 's', agent: 'noop' }] } })).id);
    await stack.redis.command('CONFIG', 'RESETSTAT');
    await h.engine.reconcileNow();
    const stats = String(await stack.redis.command('INFO', 'commandstats'));
    const lpos = Number(/cmdstat_lpos:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    expect(lpos).toBe(0);
    for (const id of ids) expect((await h.run(id)).status).toBe('queued');
  });
});
