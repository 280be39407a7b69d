import { noopAgent } from '@baton/agent-noop';
import type { RunView } from '@baton/contracts';
import { JOB_EVENTS_MAX_LEN } from '@baton/engine';
import { defineAgent } from '@baton/runtime';
import { type Harness, useTestStack } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

/**
 * Orchestrators learn about job moves from BullMQ's per-queue event streams. These tests switch the
 * repair loops (result sweeper, reconciler) off after their first pass, so only that path can move
 * the runs along.
 */
const stack = useTestStack();
const REPAIR_OFF = { sweepIntervalMs: 3_600_000, reconcileIntervalMs: 3_600_000 };

/** An agent whose stages report 50 % and then wait until the test releases them. */
function gatedAgent() {
  const waiting: (() => void)[] = [];
  const agent = defineAgent({
    type: 'gated',
    input: z.object({}),
    output: z.object({ released: z.boolean() }),
    async handler({ progress }) {
      progress({ percent: 50, message: 'half way' });
      await new Promise<void>((r) => waiting.push(r));
      return { released: true };
    },
  });
  return { agent, waiting, release: () => waiting.splice(0).forEach((r) => r()) };
}

const stage = (run: RunView, name: string) => run.stages.find((s) => s.name === name)!;
const PIPELINE = { definition: { stages: [{ name: 'a', agent: 'gated' }, { name: 'b', agent: 'noop', dependsOn: ['a'] }] } };

describe('job events', () => {
  let h: Harness;

  it('move a run through start, progress, completion and the next stage with the repair loops idle', async () => {
    h = await stack.harness(REPAIR_OFF);
    const gated = gatedAgent();
    await h.agent(gated.agent);
    await h.agent(noopAgent);
    const { id } = await h.submit(PIPELINE);
    const running = await h.waitRun(id, (r) => stage(r, 'a').progress?.percent === 50, 10_000);
    expect(stage(running, 'a').status).toBe('running');
    gated.release();
    const done = await h.waitRun(id, undefined, 10_000);
    expect(done.status).toBe('succeeded');
    expect(stage(done, 'a').output).toEqual({ released: true });
    expect(stage(done, 'b').status).toBe('succeeded');
    // Completion events carry outputs: the engine pins each queue's event stream cap.
    expect(await stack.redis.command('HGET', `${h.keys.bullPrefix}:gated:meta`, 'opts.maxLenEvents')).toBe(String(JOB_EVENTS_MAX_LEN));
  });

  it('keep being read after Redis is killed and restarted on its AOF', async ({ skip }) => {
    if (!stack.redis.controllable) skip('needs a Redis the test controls (REDIS_URL is set)');
    h = await stack.harness(REPAIR_OFF);
    const gated = gatedAgent();
    await h.agent(gated.agent);
    await h.agent(noopAgent);
    const { id } = await h.submit(PIPELINE);
    await h.waitRun(id, (r) => stage(r, 'a').progress?.percent === 50, 10_000);

    await stack.redis.kill();
    await stack.redis.start();
    gated.release();
    expect((await h.waitRun(id, undefined, 20_000)).status).toBe('succeeded');
    const next = await h.submit(PIPELINE);
    await h.waitRun(next.id, (r) => stage(r, 'a').status === 'running', 20_000);
    gated.release();
    expect((await h.waitRun(next.id, undefined, 20_000)).status).toBe('succeeded');
  });
});
