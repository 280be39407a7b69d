import { noopAgent } from '@baton/agent-noop';
import { durationBucket, OVERVIEW_MINUTE_MS, OVERVIEW_RETENTION_MINUTES, overviewMinute, PipelineDefinition, type Overview, type RunEvent, type RunView } from '@baton/contracts';
import { createRun, type Transition } from '@baton/engine';
import { inject, testAgent, testNamespace, testOrchestrator, useTestStack, waitFor } from '@baton/testing';
import { describe, expect, it } from 'vitest';

const stack = useTestStack();

describe('the overview series is exact across orchestrators', () => {
  it('counts a finished run once when two orchestrators commit it and one retries the commit', async () => {
    const ns = testNamespace();
    const a = await testOrchestrator(stack.redis.target, ns);
    stack.defer(() => a.close());
    const b = await testOrchestrator(stack.redis.target, ns);
    stack.defer(() => b.close());
    const now = Date.now();
    const created = createRun({
      id: 'run_01M7Y673N5R6MF5373N0YQW6N1',
      pipeline: { name: 'p', version: null },
      definition: PipelineDefinition.parse({ stages: [{ name: 'work', agent: 'noop' }] }),
      input: {},
      labels: {},
      now: now - 2000,
    });
    expect((await a.engine.ctx.store.create(created, null)).created).toBe(true);
    const prev = (await a.engine.ctx.store.load(created.doc.id))!;
    // The same fact, as both orchestrators would compute it from the same revision.
    const stage = { ...prev.doc.stages.work!, status: 'succeeded' as const, startedAt: now - 1300, finishedAt: now };
    const at = new Date(now).toISOString();
    const events = [
      { type: 'stage.succeeded', runId: prev.doc.id, stage: 'work', at, output: {}, durationMs: 1300 },
      { type: 'run.succeeded', runId: prev.doc.id, at },
    ] as unknown as RunEvent[];
    const t: Transition = { ...created, doc: { ...prev.doc, status: 'succeeded', finishedAt: now, updatedAt: now, stages: { work: stage } }, events };

    const results = await Promise.all([a.engine.ctx.store.commit(prev, t), b.engine.ctx.store.commit(prev, t)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(['conflict']);
    // A retried commit (its reply was lost) is refused by the revision check: nothing counted twice.
    expect(await a.engine.ctx.store.commit(prev, t)).toEqual({ ok: false, reason: 'conflict' });

    const minute = overviewMinute(now);
    const key = a.engine.ctx.keys.overviewMinute(minute);
    const hash = await a.engine.ctx.redis.hgetall(key);
    expect(hash['r:succeeded']).toBe('1');
    expect(hash[`s:noop:${durationBucket(1.3)}`]).toBe('1');
    expect(Object.keys(hash).filter((f) => f.startsWith('r:') || f.startsWith('s:'))).toHaveLength(2);
    // Bounded: the minute's hash expires with the retention.
    expect(await a.engine.ctx.redis.pexpiretime(key)).toBe((minute + 1 + OVERVIEW_RETENTION_MINUTES) * OVERVIEW_MINUTE_MS);
  });

  it('reports the same exact figures through either of two orchestrators that both applied the results', async () => {
    const ns = testNamespace();
    const a = await testOrchestrator(stack.redis.target, ns);
    stack.defer(() => a.close());
    const b = await testOrchestrator(stack.redis.target, ns);
    stack.defer(() => b.close());
    const agent = await testAgent(noopAgent, stack.redis.target, ns, { concurrency: 4 });
    stack.defer(() => agent.stop('shutdown'));

    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const input = i % 2 === 0 ? { ms: 10 } : { ms: 10, fail: { retryable: false } };
      const res = await inject<RunView>(i % 2 === 0 ? a.app : b.app, 'POST', '/v1/runs', { definition: { stages: [{ name: 'work', agent: 'noop', input }] } });
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    await waitFor(async () => {
      const runs = await Promise.all(ids.map(async (id) => (await inject<RunView>(a.app, 'GET', `/v1/runs/${id}`)).body.status));
      return runs.every((s) => s === 'succeeded' || s === 'failed');
    }, { timeoutMs: 30_000, what: 'eight runs finished' });
    // Both orchestrators' job listeners saw every completion; the reconcilers ran too.
    await new Promise((r) => setTimeout(r, 1000));
    for (const app of [a.app, b.app]) {
      const o = (await inject<Overview>(app, 'GET', '/v1/overview')).body;
      expect(o.runs.total).toEqual({ succeeded: 4, failed: 4, cancelled: 0 });
      expect(o.stages.find((s) => s.agent === 'noop')?.total.finished).toBe(8);
    }
  });

  it('answers a bad range with INVALID_REQUEST', async () => {
    const h = await stack.harness();
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    for (const q of [`from=${iso(now)}&to=${iso(now - 60_000)}`, `from=${iso(now - 25 * 3600_000)}&to=${iso(now)}`, `from=${iso(now - 25 * 3600_000)}`, `from=${iso(now + 60_000)}`, 'from=yesterday', 'step=5']) {
      const res = await h.request<{ error: { code: string } }>('GET', `/v1/overview?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.error.code).toBe('INVALID_REQUEST');
    }
    const ok = await h.request<Overview>('GET', `/v1/overview?from=${iso(now - 10 * 60_000)}&to=${iso(now)}`);
    expect(ok.status).toBe(200);
    expect(ok.body.minutes.length).toBeGreaterThanOrEqual(10);
    expect(ok.body.minutes.length).toBeLessThanOrEqual(11);
  });
});
