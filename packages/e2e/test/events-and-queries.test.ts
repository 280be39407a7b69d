import { noopAgent } from '@baton/agent-noop';
import { keys, type PipelineView, type RunEvent, type RunList, type RunView } from '@baton/contracts';
import { Harness, inject, startRedis, testOrchestrator, useTestStack } from '@baton/testing';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';

const stack = useTestStack();
let h: Harness;

interface SseEvent {
  id: string;
  event: string;
  data: RunEvent;
}

/** Reads an SSE response to its end over a real socket. */
async function readSse(url: string, headers: Record<string, string> = {}): Promise<SseEvent[]> {
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const text = await res.text(); // resolves only when the server ends the stream
  return text
    .split('\n\n')
    .map((block) => Object.fromEntries(block.split('\n').filter((l) => /^(id|event|data): /.test(l)).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)])))
    .filter((f) => f.data)
    .map((f) => ({ id: f.id!, event: f.event!, data: JSON.parse(f.data!) as RunEvent }));
}

describe('run events (SSE)', () => {
  it('streams past events, then live ones, in order, and ends with the run', async () => {
    h = await stack.harness();
    await h.agent(noopAgent, { concurrency: 4 });
    const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const created = await h.submit({ pipeline: 'demo', input: { project: 'sse' } });
    const events = await readSse(`${base}/v1/runs/${created.id}/events`); // connects while the run is in flight

    const types = events.map((e) => e.event);
    expect(types[0]).toBe('run.created');
    expect(types.at(-1)).toBe('run.succeeded');
    expect(events.every((e) => e.event === e.data.type && e.data.runId === created.id)).toBe(true);
    // Stream ids strictly increase.
    const ids = events.map((e) => e.id.split('-').map(Number) as [number, number]);
    for (let i = 1; i < ids.length; i++) {
      expect(ids[i]![0] > ids[i - 1]![0] || (ids[i]![0] === ids[i - 1]![0] && ids[i]![1] > ids[i - 1]![1])).toBe(true);
    }
    // Per stage: queued, then started, then succeeded; dependents queue after their upstream succeeded.
    const at = (type: string, stage: string) => events.findIndex((e) => e.data.type === type && 'stage' in e.data && e.data.stage === stage);
    for (const s of ['plan', 'build', 'lint', 'package']) {
      expect(at('stage.queued', s)).toBeGreaterThanOrEqual(0);
      expect(at('stage.queued', s)).toBeLessThan(at('stage.started', s));
      expect(at('stage.started', s)).toBeLessThan(at('stage.succeeded', s));
    }
    expect(at('stage.succeeded', 'plan')).toBeLessThan(at('stage.queued', 'build'));
    expect(Math.max(at('stage.succeeded', 'build'), at('stage.succeeded', 'lint'))).toBeLessThan(at('stage.queued', 'package'));

    // Resuming with Last-Event-ID replays only what came after.
    const resumed = await readSse(`${base}/v1/runs/${created.id}/events`, { 'last-event-id': events[2]!.id });
    expect(resumed.map((e) => e.id)).toEqual(events.slice(3).map((e) => e.id));
  });
});

describe('listing runs', () => {
  it('pages newest first with a cursor and filters by status and pipeline', async () => {
    h = await stack.harness();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await h.submit({ pipeline: 'demo', input: { i } })).id);
    const inline = await h.submit({ definition: { stages: [{ name: 'x', agent: 'noop' }] } });
    await h.request('POST', `/v1/runs/${ids[1]}/cancel`);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: RunList } = await h.request<RunList>('GET', `/v1/runs?pipeline=demo&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((r) => r.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    const cancelled = await h.request<RunList>('GET', '/v1/runs?status=cancelled');
    expect(cancelled.body.items.map((r) => r.id)).toEqual([ids[1]]);
    const queuedDemo = await h.request<RunList>('GET', '/v1/runs?status=queued&pipeline=demo&limit=10');
    expect(queuedDemo.body.items.map((r) => r.id)).toEqual([ids[4], ids[3], ids[2], ids[0]]);
    const all = await h.request<RunList>('GET', '/v1/runs?limit=10');
    expect(all.body.items[0]!.id).toBe(inline.id);
    expect(all.body.nextCursor).toBeNull();
  });
});

describe('pipelines', () => {
  it('registers versions, and runs keep the version they started with', async () => {
    h = await stack.harness();
    const v1 = { stages: [{ name: 'only', agent: 'noop', input: { echo: 'v1' } }] };
    const put1 = await h.request<PipelineView>('PUT', '/v1/pipelines/release', v1);
    expect(put1.status).toBe(201);
    expect(put1.body.version).toBe(1);
    expect((await h.request<PipelineView>('PUT', '/v1/pipelines/release', v1)).status).toBe(200);

    const run = await h.submit({ pipeline: 'release' });
    const put2 = await h.request<PipelineView>('PUT', '/v1/pipelines/release', { stages: [{ name: 'only', agent: 'noop', input: { echo: 'v2' } }] });
    expect(put2.status).toBe(201);
    expect(put2.body.version).toBe(2);

    await h.agent(noopAgent);
    const done = await h.waitRun(run.id);
    expect(done.pipeline).toEqual({ name: 'release', version: 1 });
    expect(done.stages[0]!.output).toMatchObject({ echo: 'v1' });
    const pinned = await h.submit({ pipeline: 'release', version: 1 });
    expect(pinned.pipeline.version).toBe(1);

    const list = await h.request<{ items: PipelineView[] }>('GET', '/v1/pipelines');
    const versions = Object.fromEntries(list.body.items.map((p) => [p.name, p.version]));
    expect(versions).toMatchObject({ demo: 1, release: 2 }); // plus the other built-in pipelines
    expect(list.body.items.map((p) => p.name)).toEqual([...list.body.items.map((p) => p.name)].sort());
    const bad = await h.request<{ error: { code: string; issues: { path: unknown[] }[] } }>('PUT', '/v1/pipelines/broken', {
      stages: [{ name: 'a', agent: 'noop', dependsOn: ['a'] }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_PIPELINE');
    expect(bad.body.error.issues[0]!.path).toEqual(['stages', 0, 'dependsOn', 0]);
  });

  it('submits with the version current in Redis, whatever this orchestrator read before', async () => {
    h = await stack.harness();
    const other = await testOrchestrator(stack.redis.url, h.ns);
    stack.defer(() => other.close());
    const def = (echo: string) => ({ stages: [{ name: 'only', agent: 'noop', input: { echo } }] });
    const echoOf = (r: RunView) => r.stages[0]!.input;
    expect((await h.request('PUT', '/v1/pipelines/moving', def('v1'))).status).toBe(201);
    expect((await h.submit({ pipeline: 'moving' })).pipeline.version).toBe(1);
    expect((await h.submit({ pipeline: 'moving', version: 1 })).pipeline.version).toBe(1);

    // A new version registered through another orchestrator is used by the next submission here.
    expect((await inject<PipelineView>(other.app, 'PUT', '/v1/pipelines/moving', def('v2'))).body.version).toBe(2);
    const latest = await h.submit({ pipeline: 'moving' });
    expect(latest.pipeline).toEqual({ name: 'moving', version: 2 });
    expect(echoOf(latest)).toEqual({ echo: 'v2' });

    // Redis lost the pipeline (e.g. restarted without persistence): not found, then registered anew.
    const k = keys(h.ns);
    const c = new Redis(stack.redis.url);
    stack.defer(() => c.quit());
    await c.del(k.pipelineVersions('moving'));
    await c.hdel(k.pipelines(), 'moving');
    for (const body of [{ pipeline: 'moving' }, { pipeline: 'moving', version: 1 }]) {
      const gone = await h.request<{ error: { code: string } }>('POST', '/v1/runs', body);
      expect(gone.status).toBe(404);
      expect(gone.body.error.code).toBe('PIPELINE_NOT_FOUND');
    }
    await new Promise((r) => setTimeout(r, 5)); // a registration time other than the lost one's
    expect((await inject<PipelineView>(other.app, 'PUT', '/v1/pipelines/moving', def('v1 again'))).body.version).toBe(1);
    for (const body of [{ pipeline: 'moving' }, { pipeline: 'moving', version: 1 }]) {
      const again = await h.submit(body);
      expect(again.pipeline).toEqual({ name: 'moving', version: 1 });
      expect(echoOf(again)).toEqual({ echo: 'v1 again' });
    }
  });
});

describe('health and readiness', () => {
  it('is ready on a noeviction Redis', async () => {
    h = await stack.harness();
    expect((await h.request('GET', '/health')).status).toBe(200);
    expect((await h.request('GET', '/ready')).status).toBe(200);
    const metrics = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('baton_runs_current');
  });

  it('is not ready when Redis could evict keys', async ({ skip }) => {
    if (!stack.redis.controllable) skip('needs a Redis the test controls (REDIS_URL is set)');
    const lru = await startRedis({ args: ['--maxmemory-policy', 'allkeys-lru'] });
    stack.defer(() => lru.stop());
    const onLru = await Harness.start(lru);
    stack.defer(() => onLru.close());
    const res = await onLru.request<{ status: string; checks: Record<string, { ok: boolean; message: string }> }>('GET', '/ready');
    expect(res.status).toBe(503);
    expect(res.body.checks.eviction).toMatchObject({ ok: false });
    expect(res.body.checks.eviction!.message).toContain('allkeys-lru');
  });
});

describe('run view', () => {
  it('says why a queued stage waits when no agent of its type is alive', async () => {
    h = await stack.harness();
    const created = await h.submit({ definition: { stages: [{ name: 's', agent: 'noop' }] } });
    const run = await h.run(created.id);
    expect(run.stages[0]).toMatchObject({ status: 'queued', waitingReason: 'no alive "noop" agent is connected' });
    await h.agent(noopAgent);
    const done: RunView = await h.waitRun(created.id);
    expect(done.stages[0]!.waitingReason).toBeNull();
  });
});
