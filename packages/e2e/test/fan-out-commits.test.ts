import { jobIdFor, PipelineDefinition, PROTOCOL_VERSION, type JsonValue, type RunRequest } from '@baton/contracts';
import { applyCompletion, counterField, type EngineContext } from '@baton/engine';
import { useTestStack } from '@baton/testing';
import { describe, expect, it } from 'vitest';

/**
 * The work a fan-out's item results cost the engine must not grow with the fan-out's width. Results
 * of many items arriving together (here: all of them in one tick, as a burst of completion events
 * does) are folded into few compare-and-set commits (commit-lane.ts), each computed once: no commit
 * is refused and recomputed because another result of the same run was committed first. Counted in
 * commits, document reads and counter increments, never in time.
 */
const stack = useTestStack();
const IDLE = { sweepIntervalMs: 3_600_000, reconcileIntervalMs: 3_600_000 };

const definition = (width: number) =>
  PipelineDefinition.parse({
    stages: [
      { name: 'plan', agent: 'noop' },
      { name: 'build', agent: 'noop', dependsOn: ['plan'], forEach: { $from: 'stages.plan.output.items', maxParallel: width }, input: { name: { $from: 'item' } } },
      { name: 'ship', agent: 'noop', dependsOn: ['build'] },
    ],
  });

const result = (output: JsonValue) =>
  JSON.stringify({ protocol: PROTOCOL_VERSION, agentId: 'a1', agentVersion: '1', attempt: 1, startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), ok: true, output });

/** Counts the run store's commits (each a compare-and-set script call) and document reads. */
function countStore(ctx: EngineContext) {
  const n = { commits: 0, refused: 0, loads: 0 };
  const { store } = ctx;
  const commitSlices = store.commitSlices.bind(store);
  const load = store.load.bind(store);
  store.commitSlices = async (prev, slices) => {
    n.commits++;
    const r = await commitSlices(prev, slices);
    if (!r.ok) n.refused++;
    return r;
  };
  store.load = (id) => {
    n.loads++;
    return load(id);
  };
  return n;
}

async function fanOut(width: number) {
  const h = await stack.harness(IDLE);
  const ctx = h.engine.ctx;
  const { id } = (await h.engine.submit({ definition: definition(width) } as RunRequest)).doc;
  const items = Array.from({ length: width }, (_, i) => `item-${i}`);
  expect(await applyCompletion(ctx, 'noop', jobIdFor(id, 'plan', 1), result({ items }))).toBe(true);
  const metric = counterField('engine_transitions_total');
  const before = Number(await ctx.redis.hget(ctx.keys.metrics(), metric));
  const n = countStore(ctx);
  // Every item's result at once, in reverse order: the fan-in must still be in item order.
  const applied = await Promise.all(items.map((_, i) => width - 1 - i).map((i) => applyCompletion(ctx, 'noop', jobIdFor(id, 'build', 1, i), result({ built: items[i]! }))));
  const counted = { ...n };
  const after = Number(await ctx.redis.hget(ctx.keys.metrics(), metric));
  const doc = (await ctx.store.load(id))!.doc;
  const events = (await ctx.redis.xrange(ctx.keys.runEvents(id), '-', '+')).map(([, f]) => JSON.parse(f[1]!) as { type: string; item?: number });
  return { applied, n: counted, transitions: after - before, doc, events };
}

describe('fan-out item results', () => {
  it.each([10, 100])('at width %i are each committed once, in few commits, none refused and recomputed', async (width) => {
    const { applied, n, transitions, doc, events } = await fanOut(width);
    expect(applied.every(Boolean)).toBe(true);
    // The first result's commit, then one for all the results that arrived while it was in flight.
    expect(n.commits).toBeLessThanOrEqual(2);
    expect(n.refused).toBe(0);
    expect(n.loads).toBe(0);
    // Counters stay exact: one transition per result, as if each had been committed on its own.
    expect(transitions).toBe(width);
    const succeeded = events.filter((e) => e.type === 'stage.item.succeeded').map((e) => e.item!);
    expect(succeeded.sort((a, b) => a - b)).toEqual([...Array(width).keys()]);
    expect(doc.stages.build!.status).toBe('succeeded');
    expect(doc.stages.build!.output).toEqual(Array.from({ length: width }, (_, i) => ({ built: `item-${i}` })));
    expect(doc.stages.ship!.status).toBe('queued');
  }, 60_000);
});
