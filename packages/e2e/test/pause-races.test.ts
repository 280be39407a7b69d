import type { RunView } from '@baton/contracts';
import { counterField, markRetrying, markStarted, mutateRun } from '@baton/engine';
import { defineAgent, StageFailure } from '@baton/runtime';
import { type Harness, useTestStack, waitFor } from '@baton/testing';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';

/**
 * Pause and the attempt count under races (issue 13, defects 4, 7, 8), each interleaving forced
 * deterministically: a test hook holds the engine at the point the race needs, never a sleep.
 */
const stack = useTestStack();
let h: Harness;

/** An agent that counts its calls and fails (retryably) while `failing` says so. */
function counting(type: string, failing: () => boolean, gate?: () => Promise<void>) {
  const calls = { n: 0 };
  const def = defineAgent({
    type,
    input: z.unknown(),
    output: z.object({ n: z.number() }),
    async handler() {
      const n = ++calls.n;
      if (gate) await gate();
      if (failing()) throw new StageFailure('FLAKY', `attempt failed (call ${n})`);
      return { n };
    },
  });
  return { def, calls };
}

const stageOf = (r: RunView, name = 's') => r.stages.find((s) => s.name === name)!;

describe('pause racing a completion (defect 4)', () => {
  it('a job that completes between the pause and its take-back keeps its result; the stage never runs again', async () => {
    h = await stack.harness({ reconcileIntervalMs: 3_600_000 });
    const { def, calls } = counting('racer', () => false);
    await (await h.agent(def)).stop('shutdown'); // the type is known; no agent takes the job yet
    // The engine's own listeners stay off, so nothing applies the completion before the take-back acts.
    await h.engine.stop();
    const run = await h.submit({ definition: { stages: [{ name: 's', agent: 'racer' }] } });
    const jobId = `${run.id}.s.1`;
    expect(['waiting', 'prioritized']).toContain(await h.engine.ctx.queues.state('racer', jobId));

    // The hook: when the pause acts on the job (removal or take-back), an agent first takes the job and
    // completes it, so the job finishes after the pause decided to take it back and before it acts.
    const q = h.engine.ctx.queues as unknown as Record<string, (agent: string, id: string) => Promise<unknown>>;
    let raced = false;
    for (const method of ['remove', 'takeBack'].filter((m) => typeof q[m] === 'function')) {
      const real = q[method]!.bind(q);
      q[method] = async (agent, id) => {
        if (id === jobId && !raced) {
          raced = true;
          await h.agent(def);
          await waitFor(async () => (await h.engine.ctx.queues.state('racer', jobId)) === 'completed', { what: 'the job completed' });
        }
        return real(agent, id);
      };
    }
    expect((await h.request('POST', `/v1/runs/${run.id}/pause`)).status).toBe(200);
    expect(raced).toBe(true);
    // The agent either refused the job (the paused run holds it) or ran it; either way at most once.
    expect(calls.n).toBeLessThanOrEqual(1);
    expect((await h.request('POST', `/v1/runs/${run.id}/resume`)).status).toBe(200);
    const done = await waitFor(async () => {
      await h.engine.reconcileNow();
      const r = await h.run(run.id);
      return r.status === 'succeeded' ? r : undefined;
    }, { what: 'the run succeeded', timeoutMs: 30_000 });
    expect(calls.n).toBe(1);
    expect(stageOf(done)).toMatchObject({ status: 'succeeded', output: { n: 1 } });
  });
});

describe('taking a job back (lua/take-back-job.lua)', () => {
  it('removes a job only while it waits; a finished job keeps its result, which is then applied', async () => {
    h = await stack.harness({ reconcileIntervalMs: 3_600_000 });
    const { def, calls } = counting('racer', () => false);
    await (await h.agent(def)).stop('shutdown');
    await (await h.agent(counting('idle', () => false).def)).stop('shutdown'); // a type no agent serves from now on
    await h.engine.stop(); // nothing applies the result on its own
    const q = h.engine.ctx.queues;
    const waiting = await h.submit({ definition: { stages: [{ name: 's', agent: 'idle' }] } });
    expect(await q.takeBack('idle', `${waiting.id}.s.1`)).toEqual({ outcome: 'removed', attemptsMade: 0 });
    expect(await q.state('idle', `${waiting.id}.s.1`)).toBe('unknown');
    expect(await q.takeBack('idle', `${waiting.id}.s.1`)).toEqual({ outcome: 'missing', attemptsMade: 0 });

    const done = await h.submit({ definition: { stages: [{ name: 's', agent: 'racer' }] } });
    const jobId = `${done.id}.s.1`;
    await h.agent(def);
    await waitFor(async () => (await q.state('racer', jobId)) === 'completed', { what: 'the job completed' });
    expect((await q.takeBack('racer', jobId)).outcome).toBe('completed');
    expect(await q.state('racer', jobId)).toBe('completed');
    const applied = await waitFor(async () => {
      await h.engine.reconcileNow();
      const r = await h.run(done.id);
      return r.status === 'succeeded' ? r : undefined;
    }, { what: 'the result applied' });
    expect(calls.n).toBe(1);
    expect(stageOf(applied).output).toEqual({ n: 1 });
  });
});

describe('a paused run and its retry budget (defect 8)', () => {
  const retrying = { stages: [{ name: 's', agent: 'flaky', retry: { maxAttempts: 3, backoff: { type: 'fixed', delayMs: 60_000 } } }] };

  it('attempts used survive pause/resume: three failures fail the stage, however often it is paused', async () => {
    h = await stack.harness();
    const { def, calls } = counting('flaky', () => true);
    await h.agent(def);
    const run = await h.submit({ definition: retrying });
    for (let used = 1; used <= 2; used++) {
      // Attempt `used` failed; its retry waits a minute in backoff. Pause takes it back, resume queues it anew.
      await h.waitRun(run.id, (r) => calls.n === used && stageOf(r).status === 'queued' && stageOf(r).attempts === used, 20_000);
      expect((await h.request('POST', `/v1/runs/${run.id}/pause`)).status).toBe(200);
      await h.waitRun(run.id, (r) => stageOf(r).status === 'pending', 20_000);
      expect((await h.request('POST', `/v1/runs/${run.id}/resume`)).status).toBe(200);
    }
    const done = await h.waitRun(run.id, undefined, 20_000);
    expect(done.status).toBe('failed');
    expect(stageOf(done)).toMatchObject({ status: 'failed', attempts: 3 });
    expect(calls.n).toBe(3);
  });

  it('a retry scheduled after the pause is taken back at once, not by a later repair pass', async () => {
    // No repair pass runs during the test: only the reaction to the retry itself can take it back.
    h = await stack.harness({ reconcileIntervalMs: 3_600_000 });
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let first = true;
    const { def, calls } = counting('flaky', () => true, async () => {
      if (first) {
        first = false;
        await released;
      }
    });
    await h.agent(def);
    const run = await h.submit({ definition: retrying });
    await h.waitStage(run.id, 's', 'running');
    expect((await h.request('POST', `/v1/runs/${run.id}/pause`)).status).toBe(200);
    release(); // attempt 1 fails while the run is paused; BullMQ schedules attempt 2 in a minute
    const paused = await h.waitRun(run.id, (r) => stageOf(r).status === 'pending', 20_000);
    expect(paused.status).toBe('paused');
    expect(stageOf(paused).attempts).toBe(1);
    expect(await h.engine.ctx.queues.state('flaky', `${run.id}.s.1`)).toBe('unknown');
    expect(calls.n).toBe(1);
    // Resumed: attempt 2 runs now, as the stage's second attempt.
    expect((await h.request('POST', `/v1/runs/${run.id}/resume`)).status).toBe(200);
    const again = await h.waitRun(run.id, (r) => calls.n === 2 && stageOf(r).attempts === 2 && stageOf(r).status === 'queued', 20_000);
    expect(stageOf(again).attempts).toBe(2);
  });
});

describe('a paused run starts no new attempt, even one BullMQ starts at once (defect 8)', () => {
  it('a retry without backoff is refused by the agent that takes it; the stage goes back to pending with its attempt counted', async () => {
    h = await stack.harness({ reconcileIntervalMs: 3_600_000 });
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let first = true;
    const { def, calls } = counting('flaky', () => true, async () => {
      if (first) {
        first = false;
        await released;
      }
    });
    await h.agent(def);
    const noBackoff = { stages: [{ name: 's', agent: 'flaky', retry: { maxAttempts: 3, backoff: { type: 'fixed', delayMs: 0 } } }] };
    const run = await h.submit({ definition: noBackoff });
    await h.waitStage(run.id, 's', 'running');
    expect((await h.request('POST', `/v1/runs/${run.id}/pause`)).status).toBe(200);
    release(); // attempt 1 fails; BullMQ puts attempt 2 straight back on the queue, where the agent takes it
    const paused = await h.waitRun(run.id, (r) => stageOf(r).status === 'pending', 20_000);
    expect(paused.status).toBe('paused');
    expect(stageOf(paused).attempts).toBe(1);
    expect(calls.n).toBe(1);
    // Resume: attempt 2 runs as the stage's second attempt, then attempt 3, then the stage fails.
    expect((await h.request('POST', `/v1/runs/${run.id}/resume`)).status).toBe(200);
    const done = await h.waitRun(run.id, undefined, 20_000);
    expect(stageOf(done)).toMatchObject({ status: 'failed', attempts: 3 });
    expect(calls.n).toBe(3);
    expect(await stack.redis.command('ZCARD', h.keys.supersededJobs())).toBeLessThanOrEqual(1);
  });
});

describe('a handler that itself answers CANCELLED on a held dispatch', () => {
  // Pausing marks the live dispatch held, and an agent's refusal of a held job means "this attempt
  // never ran". A handler that ran and answered CANCELLED is not a refusal: it used its attempt, and
  // must not be taken back and run once more (the model test's "one execution too many").
  for (const when of ['while the run is paused', 'after the resume'] as const) {
    it(`fails the stage when the answer comes ${when}; the handler ran once`, async () => {
      h = await stack.harness({ reconcileIntervalMs: 3_600_000 });
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const calls = { n: 0 };
      const def = defineAgent({
        type: 'quitter',
        input: z.unknown(),
        output: z.object({ n: z.number() }),
        async handler() {
          calls.n++;
          await released;
          throw new StageFailure('CANCELLED', 'the handler gave up', { retryable: false });
        },
      });
      await h.agent(def);
      const run = await h.submit({ definition: { stages: [{ name: 's', agent: 'quitter', retry: { maxAttempts: 3 } }] } });
      await h.waitStage(run.id, 's', 'running');
      expect((await h.request('POST', `/v1/runs/${run.id}/pause`)).status).toBe(200);
      if (when === 'after the resume') expect((await h.request('POST', `/v1/runs/${run.id}/resume`)).status).toBe(200);
      release();
      const after = await h.waitRun(run.id, (r) => stageOf(r).status !== 'running', 20_000);
      // A final failure ends the run even while it is paused; a stage taken back would wait for the resume.
      if (after.status === 'paused') expect((await h.request('POST', `/v1/runs/${run.id}/resume`)).status).toBe(200);
      const done = await h.waitRun(run.id, undefined, 20_000);
      expect(calls.n).toBe(1);
      expect(done.status).toBe('failed');
      expect(stageOf(done)).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'CANCELLED' } });
    });
  }
});

describe('fan-out items taken back by a pause', () => {
  it('are queued again on resume under the same job ids and run (the pause no longer marks them superseded)', async () => {
    // No repair pass: nothing removes the superseded record between the pause and the resume.
    h = await stack.harness({ reconcileIntervalMs: 3_600_000 });
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const ran: number[] = [];
    const def = defineAgent({
      type: 'itemer',
      input: z.unknown(),
      output: z.object({ item: z.unknown() }),
      async handler(ctx) {
        ran.push(ctx.itemIndex ?? -1);
        await released;
        return { item: ctx.item ?? null };
      },
    });
    await h.agent(def); // concurrency 1: item 0 runs, items 1 and 2 wait on the queue
    const run = await h.submit({
      definition: { stages: [{ name: 's', agent: 'itemer', forEach: { $from: 'input.items', maxParallel: 3 } }] },
      input: { items: ['a', 'b', 'c'] },
    });
    await h.waitRun(run.id, () => ran.length === 1, 20_000);
    expect((await h.request('POST', `/v1/runs/${run.id}/pause`)).status).toBe(200);
    await h.waitRun(run.id, (r) => stageOf(r).items?.counts.pending === 2, 20_000);
    expect((await h.request('POST', `/v1/runs/${run.id}/resume`)).status).toBe(200);
    release();
    const done = await h.waitRun(run.id, undefined, 30_000);
    expect(stageOf(done).items?.counts).toMatchObject({ succeeded: 3, failed: 0 });
    expect(done.status).toBe('succeeded');
    expect(ran.sort()).toEqual([0, 1, 2]);
  });
});

describe('a stale "started" fact re-applied after a revision conflict (defect 7)', () => {
  it('changes nothing: one retry event per retry, and baton_stage_retries_total equals them', async () => {
    h = await stack.harness({ reconcileIntervalMs: 3_600_000 });
    await (await h.agent(counting('flaky', () => true).def)).stop('shutdown'); // the type is known
    await h.engine.stop(); // no agent and no listener: the test states every fact itself
    const run = await h.submit({ definition: { stages: [{ name: 's', agent: 'flaky', retry: { maxAttempts: 3 } }] } });
    const ctx = h.engine.ctx;
    const s = { stage: 's', dispatch: 1 };
    // An orchestrator reads the run and the job (attempt 1 active) ...
    const stale = await ctx.store.load(run.id);
    // ... while another applies attempt 1 starting and failing, with a retry scheduled.
    expect(await mutateRun(ctx, run.id, (d, now) => markStarted(d, { ...s, agentId: 'a', attempt: 1, startedAt: now }, now))).not.toBeNull();
    expect(await mutateRun(ctx, run.id, (d, now) => markRetrying(d, { ...s, attempt: 1, error: 'boom' }, now))).not.toBeNull();
    // The first orchestrator's commit conflicts and is recomputed from the facts it read before.
    expect(await mutateRun(ctx, run.id, (d, now) => markStarted(d, { ...s, agentId: 'a', attempt: 1, startedAt: now }, now), stale)).toBeNull();
    // Attempt 2 starts.
    expect(await mutateRun(ctx, run.id, (d, now) => markStarted(d, { ...s, agentId: 'a', attempt: 2, startedAt: now }, now))).not.toBeNull();
    const events = (await h.engine.events(run.id)).map((e) => JSON.parse(e.json) as { type: string; attempt?: number });
    const retryEvents = events.filter((e) => e.type === 'stage.retrying');
    expect(retryEvents.map((e) => e.attempt)).toEqual([1]);
    expect(events.filter((e) => e.type === 'stage.started').map((e) => e.attempt)).toEqual([1, 2]);
    const counter = Number(await stack.redis.command('HGET', h.keys.metrics(), counterField('stage_retries_total', { agent: 'flaky' })));
    expect(counter).toBe(retryEvents.length);
    expect(stageOf(await h.run(run.id)).attempts).toBe(2);
  });
});
