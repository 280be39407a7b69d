import { RunRequest } from '@baton/contracts';
import { EngineError, type Engine } from '@baton/engine';
import { nodeCommand, startRedisSentinel, useTestStack } from '@baton/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';

// Group commit (engine/src/submit-group.ts) with BATON_ACCEPT_REPLICAS: one WAIT covers a whole
// group, and no request of it is acknowledged unless that wait saw enough replicas.
const stack = useTestStack({ start: startRedisSentinel });
afterEach(() => vi.restoreAllMocks());

type Outcome = { ok: true; id: string; created: boolean } | { ok: false; code: string };

function submitTogether(engine: Engine, reqs: { input: number; key?: string }[]): Promise<Outcome[]> {
  const parsed = reqs.map(({ input, key }) => ({ req: RunRequest.parse({ pipeline: 'demo', input: { n: input } }), key }));
  return Promise.all(
    parsed.map(({ req, key }) =>
      engine.submit(req, key).then(
        (r): Outcome => ({ ok: true, id: r.doc.id, created: r.created }),
        (e: unknown): Outcome => ({ ok: false, code: e instanceof EngineError ? e.code : String(e) }),
      ),
    ),
  );
}

describe('group commit with BATON_ACCEPT_REPLICAS (master, replica, three sentinels)', () => {
  it('acknowledges a group after one WAIT that every run of it passed, or none of it', async () => {
    const h = await stack.harness({ acceptReplicas: 1, acceptReplicasTimeoutMs: 2000 });
    // The pipeline's latest version is then remembered: the group's submissions reach the store together.
    await h.engine.submit(RunRequest.parse({ pipeline: 'demo', input: {} }));
    const sizes: number[] = [];
    const store = h.engine.ctx.store;
    const createMany = store.createMany.bind(store);
    vi.spyOn(store, 'createMany').mockImplementation(async (items) => (sizes.push(items.length), createMany(items)));
    const waits = vi.spyOn(store, 'replicatedMany');

    const out = await submitTogether(h.engine, [{ input: 1 }, { input: 2, key: 'k' }, { input: 2, key: 'k' }, { input: 3 }]);
    expect(sizes).toEqual([4]);
    expect(waits).toHaveBeenCalledTimes(1);
    expect(out.map((o) => o.ok && o.created)).toEqual([true, true, false, true]);
    expect((out[2] as { id: string }).id).toBe((out[1] as { id: string }).id);
    const replica = await stack.redis.replicaPort();
    for (const o of out) expect(Number(await nodeCommand(replica, 'EXISTS', h.keys.run((o as { id: string }).id)))).toBe(1);

    // Two replicas asked for, one exists: every request of the group is refused, replays included.
    const strict = await stack.harness({ acceptReplicas: 2, acceptReplicasTimeoutMs: 200 });
    await strict.engine.submit(RunRequest.parse({ pipeline: 'demo', input: {} })).catch(() => undefined);
    const refused = await submitTogether(strict.engine, [{ input: 1, key: 'a' }, { input: 2 }, { input: 1, key: 'a' }]);
    expect(refused).toEqual([0, 1, 2].map(() => ({ ok: false, code: 'REDIS_UNAVAILABLE' })));
    const replay = await submitTogether(strict.engine, [{ input: 1, key: 'a' }]);
    expect(replay).toEqual([{ ok: false, code: 'REDIS_UNAVAILABLE' }]);
  });
});
