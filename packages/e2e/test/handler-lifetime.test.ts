import type { ArtifactMeta } from '@baton/contracts';
import { defineAgent } from '@baton/runtime';
import { type Harness, useTestStack, waitFor } from '@baton/testing';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';

/** Handlers that outlive their lock, timeout or cancel (issue 13, defect 6), with real Redis and BullMQ. */
const stack = useTestStack();
let h: Harness;

describe('a handler whose job lock is lost', () => {
  it('gets its signal; ignoring it, it keeps its slot until it returns, and what it reports late is dropped', async () => {
    h = await stack.harness();
    let calls = 0;
    let running = 0;
    let maxRunning = 0;
    let abortReason: string | null = null;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let lateSave: string | null = null;
    const zombie = defineAgent({
      type: 'zombie',
      input: z.unknown(),
      output: z.object({ call: z.number() }),
      async handler(ctx) {
        const call = ++calls;
        running++;
        maxRunning = Math.max(maxRunning, running);
        try {
          if (call === 1) {
            await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
            abortReason = (ctx.signal.reason as Error).message;
            // Ignores its signal: keeps going until the test lets it, then reports as if nothing happened.
            await released;
            ctx.progress({ percent: 42, message: 'late-zombie-progress' });
            lateSave = await ctx.artifacts.save('zombie.txt', 'late').then(
              () => 'saved',
              (e: unknown) => (e as { code?: string }).code ?? 'error',
            );
          }
          return { call };
        } finally {
          running--;
        }
      },
    });
    await h.agent(zombie, { concurrency: 1, lockDurationMs: 1500, stalledIntervalMs: 500, abortGraceMs: 300, abandonedExitMs: 0 });
    const run = await h.submit({ definition: { stages: [{ name: 's', agent: 'zombie' }] } });
    const jobId = `${run.id}.s.1`;
    await waitFor(() => calls === 1, { what: 'the handler started' });

    // The lock disappears (as when the agent was cut off from Redis past its lock duration).
    await stack.redis.command('DEL', `${h.keys.bullPrefix}:zombie:${jobId}:lock`);
    await waitFor(() => abortReason !== null, { what: 'the handler aborted on lock loss', timeoutMs: 20_000 });
    expect(abortReason).toMatch(/lock was lost/);

    // The abandoned handler still holds the agent's only slot: the agent must not start a second
    // execution beside it (the job is recovered once it returns, or by another agent's stalled check).
    // A fixed window, since nothing must happen in it.
    await new Promise((r) => setTimeout(r, 3000));
    expect(calls).toBe(1);
    const view = (await h.request<{ items: { active: string[] }[] }>('GET', '/v1/agents')).body.items[0]!;
    expect(view.active).toEqual([jobId]);

    // Once it returns, its slot is free and the job runs again; its late progress and artifact are dropped.
    release();
    const done = await h.waitRun(run.id, undefined, 60_000);
    expect(done.status).toBe('succeeded');
    expect(done.stages[0]!.output).toEqual({ call: 2 });
    expect(maxRunning).toBe(1);
    expect(lateSave).toBe('ATTEMPT_OVER');
    const events = JSON.stringify(await stack.redis.command('XRANGE', h.keys.queueEvents('zombie'), '-', '+'));
    expect(events).not.toContain('late-zombie-progress');
    const artifacts = await h.request<{ items: ArtifactMeta[] }>('GET', `/v1/runs/${run.id}/artifacts`);
    expect(artifacts.body.items ?? []).toEqual([]);
  });
});

describe('an agent with a handler abandoned past the bound', () => {
  it('stops with EXIT_ABANDONED (76), so its process and what the handler started die', async () => {
    h = await stack.harness();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    stack.defer(async () => release());
    const stubborn = defineAgent({
      type: 'stubborn',
      input: z.unknown(),
      output: z.object({}),
      async handler() {
        await released; // never looks at its signal
        return {};
      },
    });
    const agent = await h.agent(stubborn, { abortGraceMs: 300, abandonedExitMs: 1000 });
    await h.submit({ definition: { stages: [{ name: 's', agent: 'stubborn', timeoutMs: 500 }] } });
    const reason = await Promise.race([agent.stopped, new Promise<null>((r) => setTimeout(() => r(null), 30_000).unref())]);
    expect(reason).toEqual({ mode: 'abandoned', exitCode: 76 });
  });
});
