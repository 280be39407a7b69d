import type { AuditList, BulkRunResponse, RunView } from '@baton/contracts';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  ENTRYPOINTS,
  REPO_ROOT,
  http,
  spawnAgent,
  spawnOrchestrator,
  startRedis,
  testNamespace,
  useTestStack,
  waitFor,
  type BatonProcess,
  type TestRedis,
} from '@baton/testing';
import { afterEach, describe, expect, it } from 'vitest';

const stack = useTestStack();
const procs: BatonProcess[] = [];
const servers: TestRedis[] = [];
const files: string[] = [];

afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill('SIGKILL')));
  await Promise.all(servers.splice(0).map((r) => r.stop()));
  for (const f of files.splice(0)) rmSync(f, { force: true });
});

const FAILING = (label: string) => ({ definition: { stages: [{ name: 'x', agent: 'noop', input: { fail: true } }] }, labels: { batch: label } });

describe('bulk actions', () => {
  it('refuse an empty filter, dry-run with a count, act per run with reasons, and audit once with the filter', async () => {
    const h = await stack.harness();
    await h.agent((await import('@baton/agent-noop')).noopAgent);
    const failed: string[] = [];
    for (let i = 0; i < 5; i++) failed.push((await h.submit(FAILING('a'))).id);
    for (const id of failed) await h.waitRun(id);
    // A run of the same batch that has not finished: retry skips it, cancel cancels it.
    const gate = (await h.submit({ definition: { stages: [{ name: 'g', approval: {} }] }, labels: { batch: 'a' } })).id;
    await h.waitRun(gate, (r) => r.status === 'waiting');

    const empty = await h.request<{ error: { code: string } }>('POST', '/v1/runs/bulk/retry', { filter: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('INVALID_REQUEST');
    expect((await h.request('POST', '/v1/runs/bulk/retry', { filter: { label: 'batch:a' }, limit: 100_000 })).status).toBe(400);

    const dry = await h.request<BulkRunResponse>('POST', '/v1/runs/bulk/retry', { filter: { label: 'batch:a' }, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, matched: 6, matchedCapped: false, results: [], done: 0 });
    expect(dry.body.ids).toEqual([gate, ...[...failed].reverse()]);
    for (const id of failed) expect((await h.run(id)).status).toBe('failed');

    const limited = await h.request<BulkRunResponse>('POST', '/v1/runs/bulk/retry', { filter: { label: 'batch:a', status: 'failed' }, limit: 2 });
    expect(limited.body).toMatchObject({ matched: 2, done: 2, skipped: 0, more: true });
    expect(limited.body.results.map((r) => r.runId)).toEqual([failed[4], failed[3]]);
    for (const id of [failed[4]!, failed[3]!]) await h.waitRun(id, (r) => r.status === 'failed');

    const all = await h.request<BulkRunResponse>('POST', '/v1/runs/bulk/retry', { filter: { label: 'batch:a' } });
    expect(all.status).toBe(200);
    const byId = new Map(all.body.results.map((r) => [r.runId, r]));
    expect(byId.get(gate)).toMatchObject({ outcome: 'skipped', reason: 'INVALID_STATE' });
    expect(all.body.results).toHaveLength(6);
    for (const id of failed) expect(byId.get(id)!.outcome).toBe('done');

    const cancelled = await h.request<BulkRunResponse>('POST', '/v1/runs/bulk/cancel', { filter: { label: 'batch:a', status: 'waiting' }, reason: 'bulk' });
    expect(cancelled.body).toMatchObject({ matched: 1, done: 1, results: [{ runId: gate, outcome: 'done' }] });
    expect((await h.run(gate)).status).toBe('cancelled');

    // One audit entry per call, naming the filter and the counts.
    const audit = await waitFor(async () => {
      const list = (await h.request<AuditList>('GET', '/v1/audit?limit=50')).body.items.filter((e) => e.route.startsWith('/v1/runs/bulk/'));
      return list.length === 6 ? list : undefined;
    }, { what: 'bulk audit entries' });
    expect(audit[0]).toMatchObject({ route: '/v1/runs/bulk/cancel', status: 200, detail: { action: 'cancel', filter: { label: 'batch:a', status: 'waiting' }, matched: 1, done: 1 } });
    expect(audit[1]).toMatchObject({ route: '/v1/runs/bulk/retry', detail: { filter: { label: 'batch:a' }, matched: 6, done: 5, skipped: 1 } });
    expect(audit[3]!.detail).toMatchObject({ dryRun: true, matched: 6, done: 0 });
  });

  it('a repeated call with the same Idempotency-Key does not act twice; another filter under that key is a 409', async () => {
    const h = await stack.harness();
    await h.agent((await import('@baton/agent-noop')).noopAgent);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await h.submit(FAILING('b'))).id);
    for (const id of ids) await h.waitRun(id);
    const key = { 'idempotency-key': 'bulk-b-1' };
    const first = await h.request<BulkRunResponse>('POST', '/v1/runs/bulk/retry', { filter: { label: 'batch:b' } }, key);
    expect(first.body.done).toBe(3);
    for (const id of ids) await h.waitRun(id, (r) => r.status === 'failed');
    // Failed again: without the key they would be retried again; with it they are done already.
    const again = await h.request<BulkRunResponse>('POST', '/v1/runs/bulk/retry', { filter: { label: 'batch:b' } }, key);
    expect(again.body).toMatchObject({ done: 0, skipped: 3 });
    expect(again.body.results.map((r) => r.reason)).toEqual(['ALREADY_DONE', 'ALREADY_DONE', 'ALREADY_DONE']);
    const conflict = await h.request<{ error: { code: string } }>('POST', '/v1/runs/bulk/retry', { filter: { label: 'batch:c' } }, key);
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('act on a list of run ids instead of a filter (each once, in order), not on both', async () => {
    const h = await stack.harness();
    await h.agent((await import('@baton/agent-noop')).noopAgent);
    const failed: string[] = [];
    for (let i = 0; i < 3; i++) failed.push((await h.submit(FAILING('d'))).id);
    for (const id of failed) await h.waitRun(id);
    const gate = (await h.submit({ definition: { stages: [{ name: 'g', approval: {} }] } })).id;
    await h.waitRun(gate, (r) => r.status === 'waiting');
    const picked = [gate, failed[2]!, failed[0]!, gate];

    const dry = await h.request<BulkRunResponse>('POST', '/v1/runs/bulk/cancel', { runIds: picked, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ matched: 3, ids: [gate, failed[2], failed[0]], results: [], done: 0 });
    expect((await h.run(gate)).status).toBe('waiting');

    const both = await h.request<{ error: { code: string } }>('POST', '/v1/runs/bulk/cancel', { runIds: picked, filter: { label: 'batch:d' } });
    expect(both.status).toBe(400);
    expect(both.body.error.code).toBe('INVALID_REQUEST');
    expect((await h.request('POST', '/v1/runs/bulk/cancel', { runIds: [] })).status).toBe(400);

    const r = await h.request<BulkRunResponse>('POST', '/v1/runs/bulk/cancel', { runIds: picked, reason: 'picked' });
    expect(r.body.results.map((x) => [x.runId, x.outcome, x.reason])).toEqual([
      [gate, 'done', null],
      [failed[2], 'skipped', 'INVALID_STATE'],
      [failed[0], 'skipped', 'INVALID_STATE'],
    ]);
    expect((await h.run(gate)).status).toBe('cancelled');
    expect((await h.run(failed[1]!)).status).toBe('failed');
  });

  it('bulk retry of 500 failed runs retries each exactly once across an orchestrator kill -9 (the repeated call resumes)', async () => {
    const redis = await startRedis();
    servers.push(redis);
    const ns = testNamespace();
    const ledger = join(tmpdir(), `baton-bulk-ledger-${ns}.jsonl`);
    files.push(ledger);
    const orch = await spawnOrchestrator(redis.url, ns);
    procs.push(orch);
    procs.push(await spawnAgent(ENTRYPOINTS.noop, redis.url, ns, { BATON_NOOP_LEDGER: ledger, BATON_AGENT_CONCURRENCY: '20' }));
    const N = 500;
    const ids: string[] = [];
    const submits: Promise<void>[] = [];
    for (let i = 0; i < N; i++) {
      submits.push(
        http<RunView>(orch.url, 'POST', '/v1/runs', FAILING('big')).then((r) => {
          if (r.status !== 202) throw new Error(`submit: ${r.status}`);
          ids.push(r.body.id);
        }),
      );
      if (submits.length >= 25) await Promise.all(submits.splice(0));
    }
    await Promise.all(submits);
    const failedKey = `{${ns}}:runs:status:failed`;
    const failedCount = async () => Number(await redis.command('ZCARD', failedKey));
    await waitFor(async () => (await failedCount()) === N, { what: `${N} failed runs`, timeoutMs: 240_000, intervalMs: 250 });

    // Retried runs wait on the paused queue, so the failed count only goes down while the call runs.
    expect((await http(orch.url, 'POST', '/v1/queues/noop/pause')).status).toBe(200);
    const body = { filter: { label: 'batch:big', status: 'failed' }, limit: 1000 };
    const headers = { 'idempotency-key': 'retry-big' };
    const first = fetch(`${orch.url}/v1/runs/bulk/retry`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
      (r) => r.status,
      () => 'killed' as const,
    );
    await waitFor(async () => (await failedCount()) < N - 10, { what: 'the bulk retry under way', timeoutMs: 120_000, intervalMs: 1 });
    await orch.kill('SIGKILL');
    expect(await first).toBe('killed');
    const retriedBeforeKill = N - (await failedCount());
    expect(retriedBeforeKill).toBeLessThan(N);

    const next = await spawnOrchestrator(redis.url, ns);
    procs.push(next);
    const resumed = await http<BulkRunResponse>(next.url, 'POST', '/v1/runs/bulk/retry', body, { headers, timeoutMs: 120_000 });
    expect(resumed.status).toBe(200);
    expect(resumed.body.done).toBeGreaterThanOrEqual(N - retriedBeforeKill);
    expect(resumed.body.done).toBeLessThanOrEqual(N - retriedBeforeKill + 4);
    expect(resumed.body.results.filter((r) => r.outcome === 'skipped').every((r) => r.reason === 'ALREADY_DONE')).toBe(true);
    expect(await failedCount()).toBe(0);

    expect((await http(next.url, 'POST', '/v1/queues/noop/resume')).status).toBe(200);
    await waitFor(async () => (await failedCount()) === N, { what: 'every retried run failed again', timeoutMs: 240_000, intervalMs: 250 });
    // A third call under the key: nothing is retried twice.
    const third = await http<BulkRunResponse>(next.url, 'POST', '/v1/runs/bulk/retry', body, { headers, timeoutMs: 120_000 });
    expect(third.body).toMatchObject({ matched: N, done: 0, skipped: N });

    // Each run executed exactly twice: its first dispatch and the one bulk retry.
    const finished = readFileSync(ledger, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { jobId: string; phase?: string })
      .filter((e) => e.phase === undefined);
    const perJob = new Map<string, number>();
    for (const e of finished) perJob.set(e.jobId, (perJob.get(e.jobId) ?? 0) + 1);
    const expected = new Map<string, number>(ids.flatMap((id) => [[`${id}.x.1`, 1] as const, [`${id}.x.2`, 1] as const]));
    expect(perJob.size).toBe(2 * N);
    expect([...perJob].filter(([job, n]) => expected.get(job) !== n)).toEqual([]);
  }, 600_000);
});

describe('baton runs bulk', () => {
  it('dry-runs and retries from the CLI', async () => {
    const h = await stack.harness();
    await h.agent((await import('@baton/agent-noop')).noopAgent);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push((await h.submit(FAILING('cli'))).id);
    for (const id of ids) await h.waitRun(id);
    const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const cli = async (...args: string[]) =>
      JSON.parse((await promisify(execFile)(process.execPath, [join(REPO_ROOT, ENTRYPOINTS.cli), '--url', url, '--json', 'runs', ...args])).stdout) as BulkRunResponse;
    expect(await cli('retry-all', '--label', 'batch=cli', '--dry-run')).toMatchObject({ dryRun: true, matched: 2 });
    expect(await cli('retry-all', '--label', 'batch=cli', '--status', 'failed', '--yes')).toMatchObject({ done: 2 });
    await expect(cli('cancel-all', '--yes')).rejects.toThrow(/filter/);
  });
});
