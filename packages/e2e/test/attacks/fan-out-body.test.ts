/**
 * Attack (issue 14, finding 3): one request that makes the orchestrator build (and Redis store) a
 * job envelope thousands of times the size of the request: a ~1 MiB body whose stage input repeats
 * `{"$from":"input.big"}` 20,000 times; the same through an upstream stage's output (unknown at
 * submit); 100 stages each referencing the whole input; and one key filling the system with runs.
 */
import type { ApiErrorBody, CreatedKey, RunView } from '@baton/contracts';
import { ENTRYPOINTS, infoField, REPO_ROOT, spawnAgent, spawnOrchestrator, useTestStack, waitFor } from '@baton/testing';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeRun, stageOf } from '../sdlc-support.js';

const stack = useTestStack();
const BOOTSTRAP = `boot-${'f'.repeat(40)}`;
const big = 'B'.repeat(500 * 1024);
const refs = (from: string, n: number) => Array.from({ length: n }, () => ({ $from: from }));

describe('attack: a request that fans one value out into a huge job envelope', () => {
  it('is refused at submit (413) or fails its stage once at dispatch (never retried), and Redis stays small', async () => {
    const h = await stack.harness();
    const orch = await spawnOrchestrator(stack.redis.url, h.ns, { BATON_AUTH: 'required', BATON_BOOTSTRAP_ADMIN_KEY: BOOTSTRAP, BATON_MAX_ACTIVE_RUNS_PER_KEY: '2' });
    stack.defer(() => orch.kill());
    const noop = await spawnAgent(join(REPO_ROOT, ENTRYPOINTS.noop), stack.redis.url, h.ns);
    stack.defer(() => noop.kill('SIGTERM').then(() => undefined));
    const created = await fetch(`${orch.url}/v1/keys`, { method: 'POST', headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'sub', role: 'submitter' }) });
    const key = ((await created.json()) as CreatedKey).key;
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const submit = async (body: unknown) => {
      const text = JSON.stringify(body);
      const res = await fetch(`${orch.url}/v1/runs`, { method: 'POST', headers, body: text });
      return { status: res.status, size: text.length, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as RunView & ApiErrorBody };
    };
    const memory = async () => Number(infoField(await h.engine.ctx.redis.info('memory'), 'used_memory'));
    const before = await memory();

    // 1. 20,000 references to a 500 KiB input value in one ~1 MiB body: 413 before anything is built.
    const fan = await submit({ definition: { stages: [{ name: 's', agent: 'noop', input: { echo: refs('input.big', 20_000) } }] }, input: { big } });
    expect(fan.size).toBeGreaterThan(900 * 1024);
    expect(fan.status).toBe(413);
    expect(fan.body.error.code).toBe('STAGE_INPUT_TOO_LARGE');
    expect(fan.body.error.message).toContain('stage "s"');
    // 2. 100 stages, each referencing the whole input (each fits alone): the run total is capped.
    const wide = await submit({ definition: { stages: Array.from({ length: 100 }, (_, i) => ({ name: `s${i}`, agent: 'noop', input: { echo: { $from: 'input.big' } } })) }, input: { big } });
    expect(wide.status).toBe(413);
    expect(wide.body.error.code).toBe('STAGE_INPUT_TOO_LARGE');

    // 3. Through an upstream output (unknown at submit): the stage fails once, non-retryably.
    const routed = await submit({
      definition: {
        stages: [
          { name: 'a', agent: 'noop', input: { echo: { $from: 'input.big' } } },
          { name: 'b', agent: 'noop', dependsOn: ['a'], input: { echo: refs('stages.a.output.echo', 10_000) } },
        ],
      },
      input: { big: big.slice(0, 200 * 1024) },
    });
    expect(routed.status, JSON.stringify(routed.body).slice(0, 500)).toBe(202);
    const run = await waitFor(
      async () => {
        const r = (await (await fetch(`${orch.url}/v1/runs/${routed.body.id}`, { headers })).json()) as RunView;
        return r.status === 'failed' ? r : undefined;
      },
      { timeoutMs: 60_000, what: 'the routed run to fail' },
    );
    expect(stageOf(run, 'b').error, describeRun(run)).toMatchObject({ code: 'STAGE_INPUT_TOO_LARGE', retryable: false });
    // Reconciler passes later nothing was retried or re-dispatched.
    await h.engine.reconcileNow();
    await h.engine.reconcileNow();
    const later = (await (await fetch(`${orch.url}/v1/runs/${routed.body.id}`, { headers })).json()) as RunView;
    expect(stageOf(later, 'b')).toMatchObject({ status: 'failed', attempts: 0 });
    expect(await h.engine.ctx.redis.llen(`${h.keys.bullPrefix}:noop:wait`)).toBe(0);
    // Redis holds the inputs (a few copies of 500 KiB), never the fanned-out envelopes (GBs).
    expect((await memory()) - before).toBeLessThan(32 * 1024 * 1024);

    // 4. Active runs per key: the third concurrent run is refused with 429 until one finishes.
    const slow = { definition: { stages: [{ name: 's', agent: 'noop', input: { ms: 120_000 } }] } };
    const r1 = await submit(slow);
    const r2 = await submit(slow);
    expect([r1.status, r2.status]).toEqual([202, 202]);
    const r3 = await submit(slow);
    expect(r3.status).toBe(429);
    expect(r3.body.error.code).toBe('TOO_MANY_ACTIVE_RUNS');
    expect(r3.retryAfter).toBe('10');
    expect((await fetch(`${orch.url}/v1/runs/${r1.body.id}/cancel`, { method: 'POST', headers, body: '{}' })).status).toBe(200);
    expect((await submit(slow)).status).toBe(202);
  }, 180_000);
});
