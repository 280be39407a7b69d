import { noopAgent } from '@baton/agent-noop';
import type { RunEvent, RunView } from '@baton/contracts';
import { defineAgent, NonRetryableError } from '@baton/runtime';
import { type Harness, type TestStack, waitFor } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

/**
 * The core end-to-end scenarios (DAG, retries, timeouts, cancel, pause, retry-from, idempotency),
 * run against whatever Redis `stack` gives: a single server, a cluster or a Sentinel setup.
 */
export function describeRunLifecycle(stack: TestStack, topology = 'a single Redis'): void {
  let h: Harness;

  const stage = (r: RunView, name: string) => r.stages.find((s) => s.name === name)!;

  async function eventsOf(id: string): Promise<RunEvent[]> {
    const res = await h.app.inject({ method: 'GET', url: `/v1/runs/${id}/events` });
    return res.body
      .split('\n\n')
      .map((block) => block.split('\n').find((l) => l.startsWith('data: ')))
      .filter((l): l is string => Boolean(l))
      .map((l) => JSON.parse(l.slice(6)) as RunEvent);
  }

  describe(`runs over HTTP with real agents, on ${topology}`, () => {
    it('carries a DAG with a parallel branch to success, passing outputs downstream', async () => {
      h = await stack.harness();
      await h.agent(noopAgent, { concurrency: 4 });
      const created = await h.submit({ pipeline: 'demo', input: { project: 'alpha' }, labels: { team: 'core' } });
      expect(created.status).toBe('queued');
      const run = await h.waitRun(created.id);

      expect(run.status).toBe('succeeded');
      expect(run.labels).toEqual({ team: 'core' });
      expect(run.stages.map((s) => [s.name, s.status])).toEqual([
        ['plan', 'succeeded'],
        ['build', 'succeeded'],
        ['lint', 'succeeded'],
        ['package', 'succeeded'],
      ]);
      // Outputs flowed: package's input was resolved from build's and lint's outputs.
      expect(stage(run, 'package').output).toMatchObject({ echo: { artifact: 'alpha', lint: { checked: 'alpha' } }, upstream: ['build', 'lint'] });
      // build and lint ran side by side.
      const b = stage(run, 'build');
      const l = stage(run, 'lint');
      expect(Date.parse(b.startedAt!)).toBeLessThan(Date.parse(l.finishedAt!));
      expect(Date.parse(l.startedAt!)).toBeLessThan(Date.parse(b.finishedAt!));
      // Finished jobs are removed from the queue once their result is committed.
      await waitFor(async () => (await h.engine.ctx.queues.counts('noop')).completed === 0, { what: 'completed jobs removed' });
    });

    it('retries a failing stage with backoff and then succeeds', async () => {
      h = await stack.harness();
      await h.agent(noopAgent);
      const created = await h.submit({
        definition: {
          stages: [
            { name: 'flaky', agent: 'noop', input: { fail: { untilAttempt: 2 } }, retry: { maxAttempts: 3, backoff: { type: 'fixed', delayMs: 50 } } },
          ],
        },
      });
      const run = await h.waitRun(created.id);
      expect(run.status).toBe('succeeded');
      expect(stage(run, 'flaky')).toMatchObject({ status: 'succeeded', attempts: 3, output: { attempt: 3 } });
      const retrying = (await eventsOf(created.id)).filter((e) => e.type === 'stage.retrying');
      expect(retrying.map((e) => (e as { attempt: number }).attempt)).toEqual([1, 2]);
    });

    it('fails the run when retries are exhausted, and skips what depended on the stage', async () => {
      h = await stack.harness();
      await h.agent(noopAgent);
      const created = await h.submit({
        definition: {
          stages: [
            { name: 'a', agent: 'noop', input: { fail: { code: 'ALWAYS_BAD' } }, retry: { maxAttempts: 2, backoff: { type: 'fixed', delayMs: 10 } } },
            { name: 'b', agent: 'noop', dependsOn: ['a'] },
          ],
        },
      });
      const run = await h.waitRun(created.id);
      expect(run.status).toBe('failed');
      expect(run.error).toMatchObject({ code: 'ALWAYS_BAD', details: { stage: 'a' } });
      expect(stage(run, 'a')).toMatchObject({ status: 'failed', attempts: 2, error: { code: 'ALWAYS_BAD' } });
      expect(stage(run, 'b').status).toBe('skipped');
    });

    it('aborts the handler when a stage times out, even one that ignores its signal', async () => {
      h = await stack.harness();
      const seen: { aborted: boolean; reason: string }[] = [];
      await h.agent(
        defineAgent({
          type: 'sleepy',
          input: z.object({ ignore: z.boolean() }),
          output: z.object({}),
          async handler({ input, signal }) {
            await new Promise<void>((resolve) => {
              if (!input.ignore) signal.addEventListener('abort', () => resolve(), { once: true });
            });
            seen.push({ aborted: signal.aborted, reason: String((signal.reason as Error).message) });
            throw new Error('stopped');
          },
        }),
        { abortGraceMs: 200, concurrency: 2 },
      );
      const listening = await h.submit({ definition: { stages: [{ name: 's', agent: 'sleepy', input: { ignore: false }, timeoutMs: 300 }] } });
      const ignoring = await h.submit({ definition: { stages: [{ name: 's', agent: 'sleepy', input: { ignore: true }, timeoutMs: 300 }] } });
      for (const id of [listening.id, ignoring.id]) {
        const run = await h.waitRun(id);
        expect(run.status).toBe('failed');
        expect(stage(run, 's').error).toMatchObject({ code: 'STAGE_TIMEOUT', message: 'stage timed out after 300 ms' });
      }
      expect(seen).toEqual([{ aborted: true, reason: 'stage timed out after 300 ms' }]);
    });

    it('cancels a run, aborting the running stage on its agent', async () => {
      h = await stack.harness();
      let abortedWith = '';
      let markStarted!: () => void;
      const started = new Promise<void>((r) => (markStarted = r));
      await h.agent(
        defineAgent({
          type: 'waiter',
          input: z.object({}),
          output: z.object({}),
          async handler({ signal }) {
            markStarted();
            await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
            abortedWith = (signal.reason as Error).message;
            throw new NonRetryableError('STOPPED', 'stopped');
          },
        }),
      );
      const created = await h.submit({ definition: { stages: [{ name: 'w', agent: 'waiter' }, { name: 'after', agent: 'waiter', dependsOn: ['w'] }] } });
      await started;
      const res = await h.request<RunView>('POST', `/v1/runs/${created.id}/cancel`, { reason: 'changed my mind' });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('cancelled');
      expect(res.body.stages.map((s) => s.status)).toEqual(['cancelled', 'cancelled']);
      await waitFor(() => abortedWith === 'stage is cancelled', { what: 'handler aborted' });
      // The agent's late result is ignored and its job cleaned up.
      await waitFor(async () => {
        const c = await h.engine.ctx.queues.counts('waiter');
        return c.active + c.waiting + c.completed + c.failed === 0;
      }, { what: 'queue empty' });
      expect((await h.run(created.id)).status).toBe('cancelled');
      expect((await h.request('POST', `/v1/runs/${created.id}/cancel`)).status).toBe(409);
    });

    it('pauses (running stages finish, nothing new starts) and resumes', async () => {
      h = await stack.harness();
      await h.agent(noopAgent);
      const created = await h.submit({ definition: { stages: [{ name: 'a', agent: 'noop', input: { ms: 400 } }, { name: 'b', agent: 'noop', dependsOn: ['a'] }] } });
      await h.waitStage(created.id, 'a', 'running');
      expect((await h.request('POST', `/v1/runs/${created.id}/pause`)).status).toBe(200);
      const paused = await h.waitStage(created.id, 'a', 'succeeded');
      expect(paused.status).toBe('paused');
      expect(stage(paused, 'b').status).toBe('pending');
      expect((await h.engine.ctx.queues.counts('noop')).waiting).toBe(0);
      expect((await h.request('POST', `/v1/runs/${created.id}/pause`)).status).toBe(409);

      expect((await h.request('POST', `/v1/runs/${created.id}/resume`)).status).toBe(200);
      const done = await h.waitRun(created.id);
      expect(done.stages.map((s) => [s.name, s.status, s.error?.message ?? null])).toEqual([['a', 'succeeded', null], ['b', 'succeeded', null]]);
      expect(done.status).toBe('succeeded');
      expect(stage(done, 'b').status).toBe('succeeded');
    });

    it('retries a failed run from a stage, keeping upstream outputs', async () => {
      h = await stack.harness();
      const calls: Record<string, number> = {};
      let breakB = true;
      await h.agent(
        defineAgent({
          type: 'counted',
          input: z.object({ name: z.string() }),
          output: z.object({ n: z.number() }),
          async handler({ input }) {
            calls[input.name] = (calls[input.name] ?? 0) + 1;
            if (input.name === 'b' && breakB) throw new NonRetryableError('B_BROKEN', 'b is broken');
            return { n: calls[input.name]! };
          },
        }),
      );
      const created = await h.submit({
        definition: {
          stages: [
            { name: 'a', agent: 'counted', input: { name: 'a' } },
            { name: 'b', agent: 'counted', dependsOn: ['a'], input: { name: 'b' } },
            { name: 'c', agent: 'counted', dependsOn: ['b'], input: { name: 'c' } },
          ],
        },
      });
      expect((await h.waitRun(created.id)).status).toBe('failed');
      breakB = false;
      const bad = await h.request('POST', `/v1/runs/${created.id}/retry`, { fromStage: 'nope' });
      expect(bad.status).toBe(400);
      const res = await h.request<RunView>('POST', `/v1/runs/${created.id}/retry`, { fromStage: 'b' });
      expect(res.status).toBe(200);
      const run = await h.waitRun(created.id);
      expect(run.status).toBe('succeeded');
      expect(calls).toEqual({ a: 1, b: 2, c: 1 });
      expect(stage(run, 'a').output).toEqual({ n: 1 });
      expect((await eventsOf(created.id)).map((e) => e.type)).toContain('run.retried');
    });

    it('returns the same run for the same Idempotency-Key, never a second one', async () => {
      h = await stack.harness();
      const body = { pipeline: 'demo', input: { project: 'idem' } };
      const first = await h.request<RunView>('POST', '/v1/runs', body, { 'idempotency-key': 'deploy-42' });
      const again = await h.request<RunView>('POST', '/v1/runs', { input: { project: 'idem' }, pipeline: 'demo' }, { 'idempotency-key': 'deploy-42' });
      expect(first.status).toBe(202);
      expect(again.status).toBe(202);
      expect(again.body.id).toBe(first.body.id);
      expect(again.headers['idempotent-replayed']).toBe('true');
      const conflict = await h.request<{ error: { code: string } }>('POST', '/v1/runs', { pipeline: 'demo', input: { project: 'other' } }, { 'idempotency-key': 'deploy-42' });
      expect(conflict.status).toBe(409);
      expect(conflict.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
      const list = await h.request<{ items: unknown[] }>('GET', '/v1/runs');
      expect(list.body.items).toHaveLength(1);
      // Concurrent submissions with one key still make one run.
      const burst = await Promise.all(Array.from({ length: 10 }, () => h.request<RunView>('POST', '/v1/runs', body, { 'idempotency-key': 'burst' })));
      expect(new Set(burst.map((r) => r.body.id)).size).toBe(1);
    });
  });
}
