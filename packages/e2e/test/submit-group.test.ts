import { PipelineDefinition, RunListQuery, RunRequest, type RunRequestInput } from '@baton/contracts';
import { EngineError, type Engine } from '@baton/engine';
import { Harness, startRedis, type TestRedis } from '@baton/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

/**
 * Group commit of submissions (engine/src/submit-group.ts): submissions of one event-loop turn are
 * stored by one create script call and their first jobs added by one addBulk, and every request
 * still gets its own answer.
 */

let redis: TestRedis;
let h: Harness;

beforeAll(async () => {
  redis = await startRedis();
  h = await Harness.start(redis);
  await h.engine.pipelines.put('grouped', PipelineDefinition.parse({ stages: [{ name: 'a', agent: 'noop', input: { echo: { $from: 'input.n' } } }] }));
  // Remember 'grouped' as the latest version (as a running orchestrator does after its first
  // submission), so a submission reaches the store without a Redis read first.
  await h.engine.submit(RunRequest.parse({ pipeline: 'grouped', input: { n: 0 } }));
});
afterAll(async () => {
  await h.close();
  await redis.stop();
});
afterEach(() => vi.restoreAllMocks());

type Outcome = { ok: true; id: string; created: boolean; version: number | null } | { ok: false; code: string };

/** Submits every request in the same event-loop turn (no await between them) and collects each answer. */
function submitTogether(engine: Engine, reqs: { body: RunRequestInput; key?: string }[]): Promise<Outcome[]> {
  const parsed = reqs.map(({ body, key }) => ({ req: RunRequest.parse(body), key }));
  return Promise.all(
    parsed.map(({ req, key }) =>
      engine.submit(req, key).then(
        (r): Outcome => ({ ok: true, id: r.doc.id, created: r.created, version: r.doc.pipeline.version }),
        (e: unknown): Outcome => ({ ok: false, code: e instanceof EngineError ? e.code : String(e) }),
      ),
    ),
  );
}

/** Each createMany call's group size and per-run reply kinds. */
function spyGroups(engine: Engine): { sizes: number[]; kinds: string[][] } {
  const seen = { sizes: [] as number[], kinds: [] as string[][] };
  const store = engine.ctx.store;
  const original = store.createMany.bind(store);
  vi.spyOn(store, 'createMany').mockImplementation(async (items) => {
    seen.sizes.push(items.length);
    const results = await original(items);
    seen.kinds.push(results.map((r) => ('error' in r ? 'error' : 'stale' in r ? 'stale' : r.created ? 'created' : r.deleted ? 'deleted' : 'existing')));
    return results;
  });
  return seen;
}

async function jobsOf(runIds: string[]): Promise<(string | null)[]> {
  return Promise.all(runIds.map(async (id) => (await h.engine.ctx.queues.getJob('noop', `${id}.a.1`))?.id ?? null));
}

describe('group commit of submissions', () => {
  it('stores concurrent submissions with one script call, each with its own answer and idempotency', async () => {
    const groups = spyGroups(h.engine);
    const addMany = vi.spyOn(h.engine.ctx.queues, 'addMany');
    const add = vi.spyOn(h.engine.ctx.queues, 'add');
    const body = (n: number): RunRequestInput => ({ pipeline: 'grouped', input: { n } });
    const out = await submitTogether(h.engine, [
      { body: body(1) },
      { body: body(2), key: 'same-key' },
      { body: body(2), key: 'same-key' }, // the same key and body in the same group: the first's run
      { body: body(3), key: 'same-key' }, // the same key, another body: a conflict
      { body: { pipeline: 'no-such-pipeline', input: {} } }, // invalid: refused before the group
      { body: { definition: { stages: [{ name: 'a', agent: 'teleporter' }] } } }, // invalid: an unknown agent type
      { body: body(4), key: 'other-key' },
    ]);
    expect(groups.sizes).toEqual([5]);
    expect(groups.kinds).toEqual([['created', 'created', 'existing', 'existing', 'created']]);

    const [a, b, bAgain, conflict, missing, invalid, c] = out;
    expect(a).toMatchObject({ ok: true, created: true });
    expect(b).toMatchObject({ ok: true, created: true });
    expect(bAgain).toEqual({ ...b, created: false });
    expect(conflict).toEqual({ ok: false, code: 'IDEMPOTENCY_CONFLICT' });
    expect(missing).toEqual({ ok: false, code: 'PIPELINE_NOT_FOUND' });
    expect(invalid).toEqual({ ok: false, code: 'INVALID_PIPELINE' });
    expect(c).toMatchObject({ ok: true, created: true });
    const ids = [a, b, c].map((o) => (o!.ok ? o!.id : ''));
    expect(new Set(ids).size).toBe(3);

    // The three new runs' first jobs went out in one addBulk, none one by one.
    expect(addMany).toHaveBeenCalledTimes(1);
    expect(addMany.mock.calls[0]![0].map((j) => j.jobId).sort()).toEqual(ids.map((id) => `${id}.a.1`).sort());
    expect(add).not.toHaveBeenCalled();
    expect(await jobsOf(ids)).toEqual(ids.map((id) => `${id}.a.1`));
    for (const [id, n] of [[ids[0]!, 1], [ids[1]!, 2], [ids[2]!, 4]] as const) {
      const doc = await h.engine.get(id);
      expect(doc?.input).toEqual({ n });
      expect(doc?.stages.a?.status).toBe('queued');
    }

    // A replay in a later turn finds the same run, as it would without groups.
    const later = await submitTogether(h.engine, [{ body: body(2), key: 'same-key' }]);
    expect(later).toEqual([{ ...b, created: false }]);
  });

  it('retries a submission built from a stale pipeline version alone, and its group is unaffected', async () => {
    const def = (echo: string) => PipelineDefinition.parse({ stages: [{ name: 'a', agent: 'noop', input: { echo } }] });
    await h.engine.pipelines.put('moving', def('v1'));
    // This process now remembers v1 as the latest...
    await h.engine.submit(RunRequest.parse({ pipeline: 'moving', input: {} }));
    // ...and a new version is registered (as another orchestrator would: the remembered copy is stale).
    expect((await h.engine.pipelines.put('moving', def('v2'))).view.version).toBe(2);

    const groups = spyGroups(h.engine);
    const out = await submitTogether(h.engine, [
      { body: { pipeline: 'grouped', input: { n: 10 } }, key: 'k-10' },
      { body: { pipeline: 'moving', input: {} }, key: 'k-latest' }, // latest: built from v1, stale
      { body: { pipeline: 'moving', version: 1, input: {} } }, // v1 asked for: still valid
      { body: { pipeline: 'grouped', input: { n: 11 } }, key: 'k-10' }, // same key, other body
    ]);
    expect(groups.kinds[0]).toEqual(['created', 'stale', 'created', 'existing']);
    // The stale one alone, read afresh, in a later group.
    expect(groups.sizes.slice(1)).toEqual([1]);
    expect(groups.kinds[1]).toEqual(['created']);

    expect(out[0]).toMatchObject({ ok: true, created: true, version: 1 });
    expect(out[1]).toMatchObject({ ok: true, created: true, version: 2 });
    expect(out[2]).toMatchObject({ ok: true, created: true, version: 1 });
    expect(out[3]).toEqual({ ok: false, code: 'IDEMPOTENCY_CONFLICT' });
    const latest = await h.engine.get((out[1] as { id: string }).id);
    expect(latest?.definition.stages[0]?.input).toEqual({ echo: 'v2' });
    // Its key names that run: a replay finds it.
    const replay = await submitTogether(h.engine, [{ body: { pipeline: 'moving', input: {} }, key: 'k-latest' }]);
    expect(replay).toEqual([{ ...out[1], created: false }]);
  });

  it('leaves a group whose addBulk failed to the reconciler, which adds every missing first job', async () => {
    vi.spyOn(h.engine.ctx.queues, 'addMany').mockRejectedValueOnce(new Error('connection lost before the add'));
    const out = await submitTogether(h.engine, [{ body: { pipeline: 'grouped', input: { n: 30 } } }, { body: { pipeline: 'grouped', input: { n: 31 } }, key: 'k-30' }]);
    // Stored, so acknowledged (exactly as a failed add of a single submission): the runs are not lost.
    expect(out.map((o) => o.ok && o.created)).toEqual([true, true]);
    const ids = out.map((o) => (o as { id: string }).id);
    expect(await jobsOf(ids)).toEqual([null, null]);
    // The reconciler (converge.ts) re-dispatches a queued stage whose job is missing after the grace.
    await vi.waitFor(async () => expect(await jobsOf(ids)).toEqual(ids.map((id) => `${id}.a.1`)), { timeout: 15_000, interval: 200 });
    for (const id of ids) expect((await h.engine.get(id))?.stages.a?.status).toBe('queued');
  });

  it('answers each request of a group Redis refuses for memory with its own 503, and stores none of them', async () => {
    const count = async () => (await h.engine.list(RunListQuery.parse({ limit: 200 }))).items.length;
    const before = await count();
    expect(before).toBeGreaterThan(0);
    await redis.command('CONFIG', 'SET', 'maxmemory', '1');
    try {
      const post = (n: number) => h.request<{ error?: { code: string } }>('POST', '/v1/runs', { pipeline: 'grouped', input: { n } }, { 'content-type': 'application/json' });
      const res = await Promise.all([post(40), post(41)]);
      expect(res.map((r) => [r.status, r.body.error?.code])).toEqual([
        [503, 'REDIS_OUT_OF_MEMORY'],
        [503, 'REDIS_OUT_OF_MEMORY'],
      ]);
    } finally {
      await redis.command('CONFIG', 'SET', 'maxmemory', '0');
    }
    expect(await count()).toBe(before);
  });

  it('answers concurrent HTTP submissions each with its own status', async () => {
    const post = (body: unknown, key?: string) =>
      h.request<{ id?: string; error?: { code: string } }>('POST', '/v1/runs', body, { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) });
    const res = await Promise.all([
      post({ pipeline: 'grouped', input: { n: 20 } }, 'http-key'),
      post({ pipeline: 'grouped', input: { n: 20 } }, 'http-key'),
      post({ pipeline: 'grouped', input: 'not an object' }),
      post({ pipeline: 'grouped', input: { n: 22 } }),
    ]);
    expect(res.map((r) => r.status)).toEqual([202, 202, 400, 202]);
    expect(res[1]!.body.id).toBe(res[0]!.body.id);
    // Exactly one of the two created the run; the other is its replay.
    expect([res[0]!.headers['idempotent-replayed'], res[1]!.headers['idempotent-replayed']].filter((v) => v === 'true')).toHaveLength(1);
    expect(res[3]!.body.id).not.toBe(res[0]!.body.id);
    const conflict = await post({ pipeline: 'grouped', input: { n: 21 } }, 'http-key');
    expect(conflict.status).toBe(409);
  });
});
