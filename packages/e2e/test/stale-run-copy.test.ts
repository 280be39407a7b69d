import type { RunView } from '@baton/contracts';
import { defineAgent } from '@baton/runtime';
import { type Harness, testOrchestrator, useTestStack } from '@baton/testing';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';

/**
 * An orchestrator computes a completion's transition from the run as it last committed it
 * (store/run-store.ts, RunStore.recent). Another orchestrator may have committed since: here it
 * paused and resumed the run, so the stage's job now belongs to a newer dispatch than the remembered
 * copy knows. Treating the result as superseded on that copy would drop it (and remove its job):
 * the stage would only run again by the repair pass. The result must be committed, the stage run once.
 */
const stack = useTestStack();
let h: Harness;

describe('a completion applied by an orchestrator whose remembered copy of the run is stale', () => {
  it('is committed from a fresh read: the run succeeds and its stage ran once', async () => {
    // No repair pass during the test: only the completion path can finish the run.
    h = await stack.harness({ reconcileIntervalMs: 3_600_000, sweepIntervalMs: 3_600_000 });
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
    // Registers the type, then leaves the job waiting.
    await (await h.agent(counter)).stop('shutdown');
    const run = await h.submit({ definition: { stages: [{ name: 's', agent: 'counter' }] } });
    expect(h.engine.ctx.store.recent(run.id)?.doc.stages.s?.dispatch).toBe(1);

    // Another orchestrator on the same deployment pauses and resumes the run: dispatch 2.
    const other = await testOrchestrator(stack.redis.target, h.ns, { reconcileIntervalMs: 3_600_000, sweepIntervalMs: 3_600_000 });
    try {
      await other.engine.pause(run.id);
      const resumed = await other.engine.resume(run.id);
      expect(resumed.stages.s?.dispatch).toBe(2);
    } finally {
      await other.close();
    }
    expect(h.engine.ctx.store.recent(run.id)?.doc.stages.s?.dispatch).toBe(1);

    await h.agent(counter);
    const done = await h.waitRun(run.id, (r: RunView) => r.status === 'succeeded' || r.status === 'failed', 20_000);
    expect(done.status).toBe('succeeded');
    expect(calls).toBe(1);
  });
});
