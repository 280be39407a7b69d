import type { RunView } from '@baton/contracts';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENTRYPOINTS, spawnAgent, useTestStack, waitFor, type BatonProcess } from '@baton/testing';
import { afterEach, describe, expect, it } from 'vitest';

const stack = useTestStack();
const procs: BatonProcess[] = [];
const files: string[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill('SIGKILL')));
  for (const f of files.splice(0)) rmSync(f, { force: true });
});

/** s1 → s2 → s3 → s4 → s5; each echoes the previous stage's echo with its own name appended. */
const FIVE = {
  stages: [
    { name: 's1', agent: 'noop', input: { echo: { seed: { $from: 'input.seed' }, token: 'hunter2' } } },
    ...['s2', 's3', 's4', 's5'].map((name, i) => ({
      name,
      agent: 'noop',
      dependsOn: [`s${i + 1}`],
      input: { echo: { prev: { $from: `stages.s${i + 1}.output.echo` }, at: name } },
    })),
  ],
};

interface Line {
  runId: string;
  stage: string;
  phase?: string;
}

describe('fork a run', () => {
  it('from stage 3 of 5 executes only stages 3–5, with the recorded upstream outputs, linked both ways', async () => {
    const h = await stack.harness();
    const ledger = join(tmpdir(), `baton-fork-ledger-${h.ns}.jsonl`);
    files.push(ledger);
    procs.push(await spawnAgent(ENTRYPOINTS.noop, h.redis.target, h.ns, { BATON_NOOP_LEDGER: ledger }));
    expect((await h.request('PUT', '/v1/pipelines/five', FIVE)).status).toBe(201);
    const parent = await h.submit({ pipeline: 'five', input: { seed: 'A' }, labels: { team: 'ops' } });
    const done = await h.waitRun(parent.id, undefined, 60_000);
    expect(done.status).toBe('succeeded');
    const out = (r: RunView, s: string) => (r.stages.find((x) => x.name === s)!.output as { echo: unknown }).echo;
    const A = { seed: 'A', token: 'hunter2' };
    expect(out(done, 's2')).toEqual({ prev: A, at: 's2' });

    // The resolved input of each stage is recorded next to its definition's input, secrets redacted.
    const stage = (r: RunView, s: string) => r.stages.find((x) => x.name === s)!;
    expect(stage(done, 's1').resolvedInput).toEqual({ dispatch: 1, truncated: false, input: { echo: { seed: 'A', token: '[redacted]' } } });
    expect(stage(done, 's3').input).toEqual(FIVE.stages[2]!.input);
    expect(stage(done, 's3').resolvedInput).toEqual({ dispatch: 1, truncated: false, input: { echo: { prev: { prev: { seed: 'A', token: '[redacted]' }, at: 's2' }, at: 's3' } } });

    const res = await h.request<RunView>('POST', `/v1/runs/${parent.id}/fork`, { fromStage: 's3' });
    expect(res.status).toBe(202);
    const fork = res.body;
    expect(fork.id).not.toBe(parent.id);
    expect(fork.pipeline).toEqual({ name: 'five', version: 1 });
    expect(fork.forkedFrom).toEqual({ runId: parent.id, fromStage: 's3' });
    expect(fork.labels).toEqual({ team: 'ops' });
    expect(fork.stages.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'queued', 'pending', 'pending']);
    const forked = await h.waitRun(fork.id, undefined, 60_000);
    expect(forked.status).toBe('succeeded');
    expect(out(forked, 's2')).toEqual(out(done, 's2'));
    expect(out(forked, 's5')).toEqual(out(done, 's5'));
    expect((await h.run(parent.id)).forks).toEqual([fork.id]);

    // Overrides: another input and another s2 output flow into stages 3–5.
    const over = await h.request<RunView>('POST', `/v1/runs/${parent.id}/fork`, { fromStage: 's3', inputOverrides: { seed: 'B' }, outputOverrides: { s2: { echo: 'X' } } });
    expect(over.status).toBe(202);
    const overDone = await h.waitRun(over.body.id, undefined, 60_000);
    expect(overDone.input).toEqual({ seed: 'B' });
    expect(out(overDone, 's2')).toEqual('X');
    expect(out(overDone, 's3')).toEqual({ prev: 'X', at: 's3' });
    expect(stage(overDone, 's3').resolvedInput!.input).toEqual({ echo: { prev: 'X', at: 's3' } });
    expect(stage(overDone, 's1').resolvedInput).toBeNull();
    expect((await h.run(parent.id)).forks).toEqual([fork.id, over.body.id]);

    // The ledger: the parent ran all five stages once, each fork only s3–s5.
    const lines = await waitFor(async () => {
      const l = readFileSync(ledger, 'utf8').split('\n').filter(Boolean).map((x) => JSON.parse(x) as Line).filter((e) => e.phase === undefined);
      return l.length >= 11 ? l : undefined;
    }, { what: 'ledger lines' });
    const stagesOf = (id: string) => lines.filter((e) => e.runId === id).map((e) => e.stage).sort();
    expect(stagesOf(parent.id)).toEqual(['s1', 's2', 's3', 's4', 's5']);
    expect(stagesOf(fork.id)).toEqual(['s3', 's4', 's5']);
    expect(stagesOf(over.body.id)).toEqual(['s3', 's4', 's5']);
    expect(lines).toHaveLength(11);
  });

  it('records the resolved input of every dispatch of a stage: a retry from the API adds one, the view names the current', async () => {
    const h = await stack.harness();
    await h.agent((await import('@baton/agent-noop')).noopAgent);
    const definition = {
      stages: [
        { name: 'a', agent: 'noop', input: { echo: { n: { $from: 'input.n' } } } },
        { name: 'b', agent: 'noop', dependsOn: ['a'], input: { got: { $from: 'stages.a.output.echo' }, apiToken: 'hunter2', fail: { retryable: false } } },
      ],
    };
    const run = await h.submit({ definition, input: { n: 7 } });
    const first = await h.waitRun(run.id);
    expect(first.status).toBe('failed');
    const b = (r: RunView) => r.stages.find((x) => x.name === 'b')!;
    const received = (dispatch: number) => ({ dispatch, truncated: false, input: { got: { n: 7 }, apiToken: '[redacted]', fail: { retryable: false } } });
    expect(b(first).resolvedInput).toEqual(received(1));
    expect(b(first).resolvedInputs).toEqual([received(1)]);
    expect(first.stages.find((x) => x.name === 'a')!.resolvedInputs).toEqual([{ dispatch: 1, truncated: false, input: { echo: { n: 7 } } }]);

    expect((await h.request('POST', `/v1/runs/${run.id}/retry`, {})).status).toBe(200);
    const second = await h.waitRun(run.id, (r) => r.status === 'failed' && b(r).resolvedInput?.dispatch === 2);
    expect(b(second).resolvedInput).toEqual(received(2));
    expect(b(second).resolvedInputs).toEqual([received(1), received(2)]);
    // The list omits them (only GET /v1/runs/:id reads the hash).
    const listed = (await h.request<{ items: Record<string, unknown>[] }>('GET', '/v1/runs?limit=5')).body.items[0]!;
    expect(listed).not.toHaveProperty('stages');
  });

  it('refuses an unknown stage, a non-upstream override, and missing upstream outputs', async () => {
    const h = await stack.harness();
    const gated = await h.submit({ definition: { stages: [{ name: 'g', approval: {} }, { name: 'after', agent: 'noop', dependsOn: ['g'] }] } });
    const code = async (body: unknown) => {
      const r = await h.request<{ error: { code: string } }>('POST', `/v1/runs/${gated.id}/fork`, body);
      return `${r.status} ${r.body.error?.code}`;
    };
    expect(await code({ fromStage: 'nope' })).toBe('400 INVALID_REQUEST');
    expect(await code({ fromStage: 'after', outputOverrides: { after: 1 } })).toBe('400 INVALID_REQUEST');
    expect(await code({ fromStage: 'after' })).toBe('409 INVALID_STATE');
    expect(await code({})).toBe('400 INVALID_REQUEST');
    expect((await h.request('POST', '/v1/runs/run_01ARZ3NDEKTSV4RRFFQ69G5FAV/fork', { fromStage: 'g' })).status).toBe(404);
    // With the gate's output given, the fork starts at "after".
    const ok = await h.request<RunView>('POST', `/v1/runs/${gated.id}/fork`, { fromStage: 'after', outputOverrides: { g: { decision: 'approved' } } });
    expect(ok.status).toBe(202);
    expect(ok.body.stages.map((s) => s.status)).toEqual(['succeeded', 'queued']);
  });
});
