import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiErrorBody, RunEvent, RunView } from '@baton/contracts';
import type { LedgerEntry } from '@baton/agent-noop';
import { ENTRYPOINTS, http, parsePromText, promSum, spawnAgent, spawnOrchestrator, startRedis, testNamespace, type BatonProcess, type TestRedis, processTracker, waitRunOverHttp, runFinished as finished, runEventsOverHttp as events } from '@baton/testing';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';

const { track, killAll } = processTracker();
const servers: TestRedis[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await killAll();
  await Promise.all(servers.splice(0).map((r) => r.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const waitRun = (base: string, id: string, pred: (r: RunView) => boolean, timeoutMs = 240_000) => waitRunOverHttp(base, id, pred, { timeoutMs, intervalMs: 250 });

/** plan echoes a package list; build fans out over it; ship gets the list of build outputs. */
const FAN_OUT = (packages: unknown[], forEach: Record<string, unknown> = {}, itemInput: Record<string, unknown> = { ms: 20 }) => ({
  definition: {
    stages: [
      { name: 'plan', agent: 'noop', input: { echo: { packages } } },
      {
        name: 'build',
        agent: 'noop',
        dependsOn: ['plan'],
        forEach: { $from: 'stages.plan.output.echo.packages', maxParallel: 3, ...forEach },
        input: { echo: { pkg: { $from: 'item.name' } }, ...itemInput },
        retry: { maxAttempts: 3, backoff: { type: 'fixed', delayMs: 100 } },
      },
      { name: 'ship', agent: 'noop', dependsOn: ['build'], input: { echo: { $from: 'stages.build.output' } } },
    ],
  },
});

const itemEvents = (evs: RunEvent[], type: 'stage.item.succeeded' | 'stage.item.failed') => evs.filter((e) => e.type === type).map((e) => (e as { item: number }).item);

describe('fan-out stages over HTTP with real agents', () => {
  it('run once per item with ctx.item, at most maxParallel at a time, and fan in to the downstream stage', async () => {
    const redis = await startRedis();
    servers.push(redis);
    const ns = testNamespace();
    const dir = mkdtempSync(join(tmpdir(), 'baton-fanout-'));
    dirs.push(dir);
    const ledger = join(dir, 'ledger.jsonl');
    const orch = await track(spawnOrchestrator(redis.url, ns));
    await track(spawnAgent(ENTRYPOINTS.noop, redis.url, ns, { BATON_AGENT_CONCURRENCY: '8', BATON_NOOP_LEDGER: ledger }));
    const packages = Array.from({ length: 7 }, (_, i) => ({ name: `pkg-${i}` }));
    const submitted = await http<RunView>(orch.url, 'POST', '/v1/runs', FAN_OUT(packages, {}, { ms: 300 }));
    expect(submitted.status).toBe(202);
    const id = submitted.body.id;

    const midway = await waitRun(orch.url, id, (r) => (r.stages[1]!.items?.counts.succeeded ?? 0) >= 1);
    expect(midway.stages[1]!.items).toMatchObject({ total: 7, maxParallel: 3 });

    const done = await waitRun(orch.url, id, finished);
    expect(done.status).toBe('succeeded');
    const build = done.stages[1]!;
    expect(build.items).toMatchObject({ total: 7, counts: { succeeded: 7 }, states: 'sssssss', failures: [] });
    const outputs = build.output as { echo: unknown; item: unknown }[];
    expect(outputs.map((o) => o.echo)).toEqual(packages.map((p) => ({ pkg: p.name })));
    expect(outputs.map((o) => o.item)).toEqual(packages);
    expect((done.stages[2]!.output as { echo: unknown[] }).echo).toHaveLength(7);

    // Never more than maxParallel items at once (from the agent's own ledger).
    const lines = readFileSync(ledger, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LedgerEntry).filter((e) => e.stage === 'build');
    let running = 0;
    let peak = 0;
    for (const e of lines) {
      running += e.phase === 'start' ? 1 : -1;
      peak = Math.max(peak, running);
    }
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(3);
    expect(itemEvents(await events(orch.url, id), 'stage.item.succeeded').sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  }, 300_000);

  it('fail-run cancels the other items; continue collects failures; too many items is a clear stage error', async () => {
    const redis = await startRedis();
    servers.push(redis);
    const ns = testNamespace();
    const orch = await track(spawnOrchestrator(redis.url, ns));
    await track(spawnAgent(ENTRYPOINTS.noop, redis.url, ns, { BATON_AGENT_CONCURRENCY: '8' }));
    const list = Array.from({ length: 6 }, (_, i) => ({ name: `p${i}` }));
    // Each item fails for good (non-retryable).
    const failing = { ms: 50, fail: { retryable: false, code: 'BAD_PACKAGE' } };

    const failRun = (await http<RunView>(orch.url, 'POST', '/v1/runs', FAN_OUT(list, { maxParallel: 1 }, failing))).body.id;
    const a = await waitRun(orch.url, failRun, finished);
    expect(a.status).toBe('failed');
    expect(a.stages[1]).toMatchObject({ status: 'failed', error: { code: 'BAD_PACKAGE', details: { item: 0 } }, items: { states: 'fccccc' } });
    expect(a.stages[2]!.status).toBe('skipped');

    const cont = (await http<RunView>(orch.url, 'POST', '/v1/runs', FAN_OUT(list, { onItemFailure: 'continue' }, failing))).body.id;
    const b = await waitRun(orch.url, cont, finished);
    expect(b.status).toBe('succeeded');
    expect(b.stages[1]).toMatchObject({ status: 'succeeded', output: [null, null, null, null, null, null], items: { counts: { failed: 6 } } });
    expect(b.stages[1]!.items!.failures.map((f) => f.item)).toEqual([0, 1, 2, 3, 4, 5]);

    const tooMany = (await http<RunView>(orch.url, 'POST', '/v1/runs', FAN_OUT(list, { maxItems: 5 }))).body.id;
    const c = await waitRun(orch.url, tooMany, finished);
    expect(c.stages[1]!.error).toMatchObject({ code: 'FOR_EACH_TOO_MANY_ITEMS', message: expect.stringContaining('has 6 items; the stage allows at most 5') });
  }, 300_000);

  it('rejects a reference to the item outside a fan-out with 400 and the path', async () => {
    const redis = await startRedis();
    servers.push(redis);
    const orch = await track(spawnOrchestrator(redis.url, testNamespace()));
    const res = await http<ApiErrorBody>(orch.url, 'POST', '/v1/runs', { definition: { stages: [{ name: 'a', agent: 'noop', input: { echo: { $from: 'item.name' } } }] } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toEqual([{ path: ['definition', 'stages', 0, 'input', 'echo', '$from'], message: expect.stringContaining('has no forEach') }]);
    const put = await http<ApiErrorBody>(orch.url, 'PUT', '/v1/pipelines/bad-item', { stages: [{ name: 'a', agent: 'noop', input: { x: { $from: 'item' } } }] });
    expect(put.status).toBe(400);
    expect(put.body.error.issues?.[0]?.path).toEqual(['stages', 0, 'input', 'x', '$from']);
  }, 120_000);
});

describe('fan-out durability', () => {
  it('200 items complete and are committed exactly once each while agents are killed with -9', async () => {
    const redis = await startRedis();
    servers.push(redis);
    const ns = testNamespace();
    const dir = mkdtempSync(join(tmpdir(), 'baton-fanout-'));
    dirs.push(dir);
    const ledger = join(dir, 'ledger.jsonl');
    const orch = await track(spawnOrchestrator(redis.url, ns));
    const agentEnv = { BATON_AGENT_CONCURRENCY: '4', BATON_NOOP_LEDGER: ledger };
    const agents: BatonProcess[] = [];
    for (let i = 0; i < 3; i++) agents.push(await track(spawnAgent(ENTRYPOINTS.noop, redis.url, ns, agentEnv)));
    const N = 200;
    const packages = Array.from({ length: N }, (_, i) => ({ name: `pkg-${i}` }));
    const id = (await http<RunView>(orch.url, 'POST', '/v1/runs', FAN_OUT(packages, { maxParallel: 12 }, { ms: 150 }))).body.id;

    // Kill an agent with -9 (holding items) each time another ~40 items are done, starting a new one.
    const killedPids = new Set<number>();
    for (const threshold of [20, 60, 100, 140]) {
      await waitRun(orch.url, id, (r) => finished(r) || (r.stages[1]!.items?.counts.succeeded ?? 0) >= threshold);
      const victim = agents.shift()!;
      killedPids.add(victim.pid);
      expect(await victim.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
      agents.push(await track(spawnAgent(ENTRYPOINTS.noop, redis.url, ns, agentEnv)));
    }

    const done = await waitRun(orch.url, id, finished, 600_000);
    expect(done.status).toBe('succeeded');
    const build = done.stages[1]!;
    expect(build.items).toMatchObject({ total: N, counts: { succeeded: N } });
    expect((build.output as { item: unknown }[]).map((o) => o.item)).toEqual(packages);

    // Committed exactly once: one item.succeeded event per item, and the counter says N.
    const committed = itemEvents(await events(orch.url, id), 'stage.item.succeeded');
    expect(committed).toHaveLength(N);
    expect(new Set(committed).size).toBe(N);
    const metrics = parsePromText(await (await fetch(`${orch.url}/metrics`)).text());
    expect(promSum(metrics, 'baton_fanout_items_finished_total', { outcome: 'succeeded' })).toBe(N);

    // Executed at least once each; an item ran again only when an agent killed with -9 held it.
    const lines = readFileSync(ledger, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LedgerEntry).filter((e) => e.runId === id && e.stage === 'build');
    const starts = new Map<string, LedgerEntry[]>();
    for (const e of lines.filter((l) => l.phase === 'start')) starts.set(e.jobId, [...(starts.get(e.jobId) ?? []), e]);
    expect(starts.size).toBe(N);
    for (const [jobId, runs] of starts) {
      for (const earlier of runs.slice(0, -1)) expect(killedPids.has(earlier.pid), `${jobId} ran again although its agent ${earlier.pid} was not killed`).toBe(true);
    }
    // Every job id is one of this dispatch's items (nothing superseded or stale ran).
    expect([...starts.keys()].every((j) => /\.build\.1\.(\d+)$/.test(j))).toBe(true);

    // The run document stays compact: measure it as stored.
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys(`*${id}`);
      const sizes = await Promise.all(keys.map(async (k) => ((await client.type(k)) === 'hash' ? Buffer.byteLength((await client.hget(k, 'doc')) ?? '') : 0)));
      const docBytes = Math.max(...sizes);
      console.log(`fan-out of ${N} items: run document ${docBytes} bytes when finished`);
      expect(docBytes).toBeGreaterThan(0);
    } finally {
      client.disconnect();
    }
  }, 900_000);
});
