import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keys as keysFor, type RunEvent, type RunView } from '@baton/contracts';
import type { LedgerEntry } from '@baton/agent-noop';
import { ENTRYPOINTS, freePort, http, spawnAgent, spawnOrchestrator, startRedis, testNamespace, waitFor, type TestRedis, processTracker, waitRunOverHttp, runFinished as finished } from '@baton/testing';
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

const waitRun = (base: () => string, id: string, pred: (r: RunView) => boolean, timeoutMs = 240_000) => waitRunOverHttp(base, id, pred, { timeoutMs, intervalMs: 200 });

async function cancelReason(base: string, id: string): Promise<string | null | undefined> {
  const text = await (await fetch(`${base}/v1/runs/${id}/events`)).text();
  const evs = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as RunEvent);
  const e = evs.find((x) => x.type === 'run.cancelled');
  return e?.type === 'run.cancelled' ? e.reason : undefined;
}

const KEYED = (app: string, deployMs: number, onConflict = 'queue') => ({
  input: { app },
  definition: {
    stages: [
      { name: 'build', agent: 'noop', input: { ms: 20 } },
      { name: 'deploy', agent: 'noop', dependsOn: ['build'], input: { ms: deployMs }, concurrency: { key: 'deploy-${input.app}', limit: 1, onConflict } },
    ],
  },
});

function ledgerFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'baton-cc-'));
  dirs.push(dir);
  return join(dir, 'ledger.jsonl');
}

/** [start, end] of each execution of `stage` per run, from the agents' ledger. */
function intervals(ledger: string, stage: string): { runId: string; start: number; end: number }[] {
  const lines = readFileSync(ledger, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LedgerEntry).filter((e) => e.stage === stage && e.phase !== 'start');
  return lines.map((e) => ({ runId: e.runId, start: Date.parse(e.startedAt!), end: Date.parse(e.at) }));
}

describe('concurrency keys over HTTP with real agents', () => {
  it('two runs for the same key never run the keyed stage at once; the waiting one names the key and the holder', async () => {
    const redis = await startRedis();
    servers.push(redis);
    const ns = testNamespace();
    const ledger = ledgerFile();
    const orch = await track(spawnOrchestrator(redis.url, ns));
    await track(spawnAgent(ENTRYPOINTS.noop, redis.url, ns, { BATON_AGENT_CONCURRENCY: '8', BATON_NOOP_LEDGER: ledger }));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await http<RunView>(orch.url, 'POST', '/v1/runs', KEYED('shop', 1500))).body.id);
    const other = (await http<RunView>(orch.url, 'POST', '/v1/runs', KEYED('blog', 1500))).body.id;

    // While one shop run deploys, another waits and says for what and whom.
    const waiting = await waitFor(
      async () => {
        for (const id of ids) {
          const r = (await http<RunView>(orch.url, 'GET', `/v1/runs/${id}`)).body;
          if (r.stages[1]!.status === 'waiting' && r.stages[1]!.waitingReason?.includes('held by run')) return r;
        }
        return undefined;
      },
      { what: 'a run waiting for the key', timeoutMs: 120_000, intervalMs: 100 },
    );
    expect(waiting.status).toBe('waiting');
    expect(waiting.waitingOn).toEqual([]); // not waiting for a decision
    expect(waiting.stages[1]!.waitingReason).toMatch(/^waiting for concurrency key "deploy-shop" \(limit 1\), held by run run_[0-9A-Z]{26}$/);

    for (const id of [...ids, other]) expect((await waitRun(() => orch.url, id, finished)).status).toBe('succeeded');
    const shop = intervals(ledger, 'deploy').filter((x) => ids.includes(x.runId)).sort((a, b) => a.start - b.start);
    expect(shop).toHaveLength(3);
    for (let i = 1; i < shop.length; i++) expect(shop[i]!.start, 'a keyed deploy started before the previous one ended').toBeGreaterThanOrEqual(shop[i - 1]!.end);
    // Nothing is left holding or waiting.
    const client = new Redis(redis.url);
    try {
      const k = keysFor(ns);
      expect(await client.zcard(k.concurrencyHolders('deploy-shop'))).toBe(0);
      expect(await client.zcard(k.concurrencyWaiters('deploy-shop'))).toBe(0);
    } finally {
      client.disconnect();
    }
  }, 300_000);

  it('cancel-running: the newer run supersedes the older one; cancel-newest: the newer one is cancelled', async () => {
    const redis = await startRedis();
    servers.push(redis);
    const ns = testNamespace();
    const orch = await track(spawnOrchestrator(redis.url, ns));
    await track(spawnAgent(ENTRYPOINTS.noop, redis.url, ns, { BATON_AGENT_CONCURRENCY: '8' }));

    const older = (await http<RunView>(orch.url, 'POST', '/v1/runs', KEYED('shop', 60_000, 'cancel-running'))).body.id;
    await waitRun(() => orch.url, older, (r) => r.stages[1]!.status === 'running');
    const newer = (await http<RunView>(orch.url, 'POST', '/v1/runs', KEYED('shop', 50, 'cancel-running'))).body.id;
    const a = await waitRun(() => orch.url, older, finished);
    if (a.status !== 'cancelled') console.log(orch.output().split('\n').filter((l) => /concurrency|slot|cancel|warn|error/i.test(l)).slice(-30).join('\n'));
    expect(a.status).toBe('cancelled');
    expect(await cancelReason(orch.url, older)).toBe(`superseded by run ${newer} (concurrency key "deploy-shop", onConflict: cancel-running)`);
    expect((await waitRun(() => orch.url, newer, finished)).status).toBe('succeeded');

    const holder = (await http<RunView>(orch.url, 'POST', '/v1/runs', KEYED('cart', 60_000, 'cancel-newest'))).body.id;
    await waitRun(() => orch.url, holder, (r) => r.stages[1]!.status === 'running');
    const late = (await http<RunView>(orch.url, 'POST', '/v1/runs', KEYED('cart', 50, 'cancel-newest'))).body.id;
    const b = await waitRun(() => orch.url, late, finished);
    expect(b.status).toBe('cancelled');
    expect(await cancelReason(orch.url, late)).toContain(`is held by run ${holder}`);
    const still = await http<RunView>(orch.url, 'GET', `/v1/runs/${holder}`);
    expect(still.body.stages[1]!.status).toBe('running');
    expect((await http(orch.url, 'POST', `/v1/runs/${holder}/cancel`, {})).status).toBe(200);
  }, 300_000);
});

describe('concurrency keys durability', () => {
  it("the slot is released after its holder's orchestrator and agent are killed with -9, and a leaked holder is repaired", async () => {
    const redis = await startRedis();
    servers.push(redis);
    const ns = testNamespace();
    const port = await freePort();
    const k = keysFor(ns);
    const client = new Redis(redis.url);
    try {
      // A holder whose run is gone (as after retention or a lost write): the repair pass frees it.
      await client.zadd(k.concurrencyHolders('deploy-shop'), 1, 'run_01M7Y673N5R6MF5373N0YQW6N1|deploy');
      await client.zadd(k.concurrencyKeys(), 0, 'deploy-shop');
      let orch = await track(spawnOrchestrator(redis.url, ns, {}, port));
      let agent = await track(spawnAgent(ENTRYPOINTS.noop, redis.url, ns, { BATON_AGENT_CONCURRENCY: '4' }));
      const first = (await http<RunView>(orch.url, 'POST', '/v1/runs', KEYED('shop', 4000))).body.id;
      await waitRun(() => orch.url, first, (r) => r.stages[1]!.status === 'running');
      const second = (await http<RunView>(orch.url, 'POST', '/v1/runs', KEYED('shop', 50))).body.id;
      const w = await waitRun(() => orch.url, second, (r) => r.stages[1]!.status === 'waiting' && (r.stages[1]!.waitingReason ?? '').includes(first));
      expect(w.stages[1]!.waitingReason).toContain(`held by run ${first}`);

      await orch.kill('SIGKILL');
      await agent.kill('SIGKILL');
      expect(await client.zrange(k.concurrencyHolders('deploy-shop'), 0, -1)).toEqual([`${first}|deploy`]);
      orch = await track(spawnOrchestrator(redis.url, ns, {}, port));
      agent = await track(spawnAgent(ENTRYPOINTS.noop, redis.url, ns, { BATON_AGENT_CONCURRENCY: '4' }));

      const a = await waitRun(() => orch.url, first, finished);
      expect(a.status).toBe('succeeded');
      const b = await waitRun(() => orch.url, second, finished);
      expect(b.status).toBe('succeeded');
      expect(Date.parse(b.stages[1]!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(a.stages[1]!.finishedAt!));
      await waitFor(async () => (await client.zcard(k.concurrencyHolders('deploy-shop'))) === 0 && (await client.zcard(k.concurrencyKeys())) === 0, {
        what: 'the key forgotten',
        timeoutMs: 30_000,
      });
    } finally {
      client.disconnect();
    }
  }, 300_000);
});
