import { DEFAULT_ARTIFACT_MAX_BYTES } from '@baton/contracts';
import { collectArtifactGarbage, Lease } from '@baton/engine';
import { FsArtifactStore } from '@baton/platform';
import { defineAgent } from '@baton/runtime';
import { artifactDirFor, type Harness, useTestStack, waitFor } from '@baton/testing';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';

/**
 * The reconciler's own passes racing another instance or an agent (issue 13, "Also:"): the lease
 * is taken and renewed in one step, a pass that outlives its lease stops before acting, and the
 * artifact GC never deletes a file an agent is referencing at that moment. Each interleaving is
 * forced by a hook that holds one side until the other has acted.
 */
const stack = useTestStack();
let h: Harness;

const oneStage = { definition: { stages: [{ name: 's', agent: 'noop' }] } };
const noop = defineAgent({ type: 'noop', input: z.unknown(), output: z.object({}), handler: () => Promise.resolve({}) });

describe('the reconciler lease', () => {
  it('is renewed in one step: it never extends a lease another instance took after it expired', async () => {
    h = await stack.harness({ reconcileIntervalMs: 3_600_000 });
    const ctx = h.engine.ctx;
    const key = ctx.keys.lease('race-test');
    const b = new Lease(ctx, 'race-test', 60_000);
    // A's connection: a read of the lease key returns, then A stalls until its lease expired and B took it.
    const redisA = new Proxy(ctx.redis, {
      get(target, prop, receiver) {
        if (prop !== 'get') return Reflect.get(target, prop, receiver) as unknown;
        return async (k: string) => {
          const v = await target.get(k);
          if (k === key) {
            await waitFor(async () => (await target.exists(key)) === 0, { what: "A's lease expired", timeoutMs: 20_000 });
            expect(await b.acquire()).toBe(true);
          }
          return v;
        };
      },
    });
    const a = new Lease({ ...ctx, redis: redisA }, 'race-test', 1000);
    expect(await a.acquire()).toBe(true);
    const aRenewed = await a.acquire();
    const bHolds = await b.acquire();
    // Exactly one holder, and it is the one the key names.
    expect([aRenewed, bHolds].filter(Boolean)).toHaveLength(1);
    expect(await ctx.redis.pttl(key)).toBeGreaterThan(0);
  });

  it('a retention pass that outlives its lease stops before deleting anything', async () => {
    h = await stack.harness({ reconcileIntervalMs: 300, runRetentionCount: 0 });
    const ctx = h.engine.ctx;
    await h.agent(noop);
    const leaseKey = ctx.keys.lease('reconciler');
    const other = new Lease(ctx, 'reconciler', 60_000);
    let held = false;
    let runId = '';
    const deletes: string[] = [];
    // The pass chose the finished run, then stalls (a GC pause, a slow Redis) past its lease, which
    // another orchestrator takes meanwhile.
    const store = ctx.store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    const loadMany = store.loadMany!.bind(ctx.store);
    const del = store.delete!.bind(ctx.store);
    store.loadMany = async (ids: unknown) => {
      const loaded = await loadMany(ids);
      if (!held && runId && (ids as string[]).includes(runId)) {
        held = true;
        await waitFor(async () => (await ctx.redis.exists(leaseKey)) === 0, { what: 'the pass outlived its lease', timeoutMs: 20_000 });
        expect(await other.acquire()).toBe(true);
      }
      return loaded;
    };
    store.delete = async (loaded: unknown) => {
      deletes.push((loaded as { doc: { id: string } }).doc.id);
      return del(loaded);
    };
    const run = await h.submit(oneStage);
    runId = run.id;
    await waitFor(() => Promise.resolve(held), { what: 'retention chose the run', timeoutMs: 30_000 });
    await h.engine.stop(); // waits for the pass in progress to end
    expect(deletes).not.toContain(run.id);
    expect((await h.request('GET', `/v1/runs/${run.id}`)).status).toBe(200);
  });
});

describe('the artifact GC', () => {
  it('keeps a file an agent is referencing at that moment (the GC runs between its write and its reference)', async () => {
    h = await stack.harness({ reconcileIntervalMs: 3_600_000 });
    const ctx = h.engine.ctx;
    const fs = new FsArtifactStore(artifactDirFor(h.ns));
    const bytes = Buffer.from('the same report, saved by two runs');
    // An earlier run saved these bytes; retention deleted it: the file is garbage, referenced by nothing.
    const sha = await fs.put(bytes);
    await ctx.redis.sadd(ctx.keys.artifactGarbage(), sha);
    let gcDeleted = -1;
    // The agent's store: after the bytes are stored and before the reference is recorded, the GC runs.
    const racing = Object.assign(Object.create(fs) as FsArtifactStore, {
      put: async (data: Buffer) => {
        const s = await fs.put(data);
        gcDeleted = await collectArtifactGarbage(ctx);
        return s;
      },
    });
    const saver = defineAgent({
      type: 'saver',
      input: z.unknown(),
      output: z.object({ sha: z.string() }),
      async handler(c) {
        return { sha: (await c.artifacts.save('report.txt', bytes)).sha256 };
      },
    });
    await h.agent(saver, { artifacts: { store: racing, maxBytes: DEFAULT_ARTIFACT_MAX_BYTES } });
    const run = await h.submit({ definition: { stages: [{ name: 's', agent: 'saver' }] } });
    const done = await h.waitRun(run.id);
    expect(JSON.stringify(done.stages[0]!.error)).toBe("null");
    expect(done.status).toBe("succeeded");
    expect(gcDeleted).toBe(0);
    expect(await fs.open(sha)).not.toBeNull();
    const list = await h.request<{ items: { id: string }[] }>('GET', `/v1/runs/${run.id}/artifacts`);
    const art = list.body.items[0]!;
    const got = await h.request('GET', `/v1/runs/${run.id}/artifacts/${art.id}`);
    expect(got.status).toBe(200);
  });

  it('still deletes garbage nobody touched within the grace', async () => {
    h = await stack.harness({ reconcileIntervalMs: 3_600_000 });
    const ctx = h.engine.ctx;
    const fs = new FsArtifactStore(artifactDirFor(h.ns));
    const sha = await fs.put(Buffer.from('nobody wants this'));
    await ctx.redis.sadd(ctx.keys.artifactGarbage(), sha);
    // Within the (default, one hour) grace it is kept for a later pass ...
    expect(await collectArtifactGarbage(ctx)).toBe(0);
    expect(await ctx.redis.sismember(ctx.keys.artifactGarbage(), sha)).toBe(1);
    // ... and once the grace has passed, deleted.
    expect(await collectArtifactGarbage({ ...ctx, config: { ...ctx.config, artifactGcGraceMs: 0 } })).toBe(1);
    expect(await fs.open(sha)).toBeNull();
    expect(await ctx.redis.scard(ctx.keys.artifactGarbage())).toBe(0);
  });
});
