import type { CreatedKey, RunEvent, RunView } from '@baton/contracts';
import { noopAgent } from '@baton/agent-noop';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Orchestrator } from '@baton/orchestrator';
import type { AgentHandle } from '@baton/runtime';
import { ENTRYPOINTS, Harness, inject, REPO_ROOT, startRedis, testAgent, testOrchestrator, waitFor, type TestRedis } from '@baton/testing';
import { afterEach, describe, expect, it } from 'vitest';

const BOOTSTRAP = `boot-${'b'.repeat(40)}`;
const auth = { mode: 'required' as const, bootstrapAdminKey: BOOTSTRAP, rateLimit: { max: 1_000_000, windowMs: 60_000 } };
const admin = { authorization: `Bearer ${BOOTSTRAP}` };
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const CHAIN = {
  stages: [
    { name: 'a', agent: 'noop', input: { ms: { $from: 'input.ms' }, echo: { $from: 'input.n' } } },
    { name: 'b', agent: 'noop', dependsOn: ['a'], input: { ms: { $from: 'input.ms' } } },
    { name: 'c', agent: 'noop', dependsOn: ['b'], input: { ms: { $from: 'input.ms' } } },
  ],
};

const cli = (...args: string[]) => promisify(execFile)(process.execPath, [join(REPO_ROOT, ENTRYPOINTS.cli), ...args]);

async function events(redis: TestRedis, key: string): Promise<RunEvent[]> {
  const rows = (await redis.command('XRANGE', key, '-', '+')) as [string, string[]][];
  return rows.map(([, f]) => JSON.parse(f[1]!) as RunEvent);
}

describe('backup and restore', () => {
  it('busy namespace → backup → flush → restore: finished runs intact, every active run completes exactly once, keys work', async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    const dir = mkdtempSync(join(tmpdir(), 'baton-backup-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const h = await Harness.start(redis, {}, { auth });
    let closed = false;
    cleanup.push(async () => {
      if (!closed) await h.close();
    });
    h.headers = admin;
    await h.agent(noopAgent, { concurrency: 4 });
    expect((await h.request('PUT', '/v1/pipelines/chain', CHAIN)).status).toBe(201);
    const key = await h.request<CreatedKey>('POST', '/v1/keys', { name: 'ci', role: 'operator' });
    expect(key.status).toBe(201);

    const finished: string[] = [];
    for (let i = 0; i < 4; i++) finished.push((await h.submit({ pipeline: 'chain', input: { n: i, ms: 50 }, labels: { phase: 'before' } })).id);
    for (const id of finished) await h.waitRun(id, undefined, 60_000);
    const before = new Map<string, RunView>();
    for (const id of finished) before.set(id, await h.run(id));
    const active: string[] = [];
    // The last two chains are slow (3 × 8 s), so some run is still active when the CLI — a cold Node
    // process, slow on a loaded machine — takes the backup.
    for (let i = 0; i < 8; i++) active.push((await h.submit({ pipeline: 'chain', input: { n: 100 + i, ms: i < 6 ? 2500 : 8000 }, labels: { phase: 'busy' } })).id);
    await h.waitRun(active[0]!, (r) => r.stages.some((s) => s.status === 'running'));

    const file = join(dir, 'ns.backup');
    const taken = JSON.parse((await cli('--json', 'backup', file, '--redis-url', redis.url, '--namespace', h.ns)).stdout) as { runs: number; activeRuns: number };
    expect(taken.runs).toBe(12);
    expect(taken.activeRuns).toBeGreaterThan(0);
    closed = true;
    await h.close();
    // Which runs the backup holds as active, as it holds them.
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const docs = lines
      .slice(1)
      .map((l) => JSON.parse(l) as { name: string; type: string; value: Record<string, string> })
      .filter((e) => e.type === 'hash' && /^:run:run_[0-9A-Z]{26}$/.test(e.name))
      .map((e) => JSON.parse(e.value.doc!) as { id: string; status: string });
    expect(docs).toHaveLength(12);
    const activeInBackup = docs.filter((d) => !['succeeded', 'failed', 'cancelled'].includes(d.status)).map((d) => d.id);
    expect(activeInBackup.length).toBe(taken.activeRuns);

    await redis.command('FLUSHALL');
    const restored = await cli('restore', file, '--redis-url', redis.url, '--namespace', h.ns);
    expect(restored.stdout).toContain('restored 12 runs');
    // Into a namespace that is not empty: refused.
    const again = await cli('restore', file, '--redis-url', redis.url, '--namespace', h.ns).catch((e: { code: number; stderr: string }) => e);
    expect(again).toMatchObject({ code: 2 });
    expect((again as { stderr: string }).stderr).toContain('is not empty');

    const orch: Orchestrator = await testOrchestrator(redis.target, h.ns, {}, { auth });
    cleanup.push(() => orch.close());
    const agent: AgentHandle = await testAgent(noopAgent, redis.target, h.ns, { concurrency: 4 });
    cleanup.push(async () => {
      await agent.stop('shutdown');
    });
    const get = async (id: string, headers: Record<string, string> = admin) => inject<RunView>(orch.app, 'GET', `/v1/runs/${id}`, undefined, headers);

    for (const id of finished) expect((await get(id)).body).toEqual(before.get(id));
    for (const id of active) {
      const done = await waitFor(async () => {
        const r = (await get(id)).body;
        return ['succeeded', 'failed', 'cancelled'].includes(r.status) ? r : undefined;
      }, { what: `run ${id} after the restore`, timeoutMs: 90_000 });
      expect(done.status).toBe('succeeded');
      const evs = await events(redis, orch.engine.ctx.keys.runEvents(id));
      expect(evs.filter((e) => e.type === 'run.succeeded')).toHaveLength(1);
      expect(evs.filter((e) => e.type === 'stage.succeeded').map((e) => (e as { stage: string }).stage).sort()).toEqual(['a', 'b', 'c']);
    }
    // The API key and the pipeline came back with the namespace.
    expect((await inject(orch.app, 'GET', '/v1/runs?label=phase:busy', undefined, { authorization: `Bearer ${key.body.key}` })).status).toBe(200);
    expect((await inject(orch.app, 'GET', '/v1/pipelines/chain', undefined, admin)).status).toBe(200);
    const busy = await inject<{ items: { id: string }[] }>(orch.app, 'GET', '/v1/runs?label=phase:busy&limit=50', undefined, admin);
    expect(busy.body.items.map((r) => r.id).sort()).toEqual([...active].sort());
  }, 300_000);

  it('refuses a file of another format or version with a clear message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-backup-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    const newer = join(dir, 'newer.backup');
    writeFileSync(newer, `${JSON.stringify({ format: 'baton-backup', formatVersion: 99, namespace: 'x', createdAt: new Date().toISOString(), keys: 0, runs: 0, activeRuns: 0, pausedQueues: [] })}\n`);
    const r1 = await cli('restore', newer, '--redis-url', redis.url, '--namespace', 'fresh').catch((e: { code: number; stderr: string }) => e);
    expect(r1).toMatchObject({ code: 2 });
    expect((r1 as { stderr: string }).stderr).toContain('backup format version 99 is not supported');
    const other = join(dir, 'other.json');
    writeFileSync(other, '{"stages":[]}\n');
    const r2 = await cli('restore', other, '--redis-url', redis.url, '--namespace', 'fresh').catch((e: { code: number; stderr: string }) => e);
    expect((r2 as { stderr: string }).stderr).toContain('not a Baton backup');
    expect(Number(await redis.command('DBSIZE'))).toBe(0);
  });
});
