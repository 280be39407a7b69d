import { type CreatedKey, type RunList, type RunView } from '@baton/contracts';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ENTRYPOINTS, REPO_ROOT, useTestStack, type Harness } from '@baton/testing';
import { describe, expect, it } from 'vitest';

const stack = useTestStack();
const BOOTSTRAP = `boot-${'k'.repeat(40)}`;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Every id of a filtered list, page by page. */
async function allPages(h: Harness, query: string, limit: number, between?: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; body: RunList } = await h.request<RunList>('GET', `/v1/runs?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.status).toBe(200);
    expect(page.body.items.length).toBeLessThanOrEqual(limit);
    seen.push(...page.body.items.map((r) => r.id));
    cursor = page.body.nextCursor;
    if (between) await between();
  } while (cursor);
  return seen;
}

/** Waits until the clock has moved past `ms` (run ids carry millisecond time). */
async function pastMs(ms: number): Promise<void> {
  while (Date.now() <= ms) await new Promise((r) => setImmediate(r));
}

describe('finding runs', () => {
  it('filters by labels, creator, pipeline version and created range, across pages while runs are submitted', async () => {
    const h = await stack.harness({}, { auth: { mode: 'required', bootstrapAdminKey: BOOTSTRAP, rateLimit: { max: 100_000, windowMs: 60_000 } } });
    h.headers = bearer(BOOTSTRAP);
    const created = await h.request<CreatedKey>('POST', '/v1/keys', { name: 'ci', role: 'submitter' });
    expect(created.status).toBe(201);
    const ci = bearer(created.body.key);

    const submit = async (labels: Record<string, string>, headers?: Record<string, string>) =>
      (await h.submit({ pipeline: 'demo', input: {}, labels }, headers)).id;
    const early: string[] = [];
    for (let i = 0; i < 4; i++) early.push(await submit({ app: 'payments', env: i % 2 ? 'prod' : 'dev' }));
    await pastMs(Date.now());
    const t1 = new Date().toISOString();
    await pastMs(Date.parse(t1));
    const middle: string[] = [];
    for (let i = 0; i < 7; i++) middle.push(await submit({ app: i < 5 ? 'payments' : 'search', env: i % 2 ? 'prod' : 'dev' }, i % 3 === 0 ? ci : undefined));
    await pastMs(Date.now());
    const t2 = new Date().toISOString();
    await pastMs(Date.parse(t2));
    const late: string[] = [];
    for (let i = 0; i < 3; i++) late.push(await submit({ app: 'payments', env: 'prod' }));
    const all = [...early, ...middle, ...late];
    const byId = new Map<string, RunView>();
    for (const id of all) byId.set(id, (await h.request<RunView>('GET', `/v1/runs/${id}`)).body);
    const expected = (pred: (r: RunView) => boolean) => [...all].reverse().filter((id) => pred(byId.get(id)!));

    // Runs submitted between pages are newer than the cursor: they never shift or repeat a page.
    const extra: string[] = [];
    const submitMore = async () => {
      extra.push(await submit({ app: 'payments', env: 'prod' }));
    };
    const payProd = await allPages(h, 'label=app:payments&label=env:prod', 2, submitMore);
    expect(payProd).toEqual(expected((r) => r.labels.app === 'payments' && r.labels.env === 'prod'));
    expect(extra.length).toBeGreaterThan(0);

    const search = await allPages(h, 'label=app:search', 1);
    expect(search).toEqual(expected((r) => r.labels.app === 'search'));
    expect(search).toHaveLength(2);

    const ciRuns = await allPages(h, `createdBy=${created.body.id}`, 2);
    expect(ciRuns).toEqual([middle[6]!, middle[3]!, middle[0]!]);
    const ciPay = await allPages(h, `createdBy=${created.body.id}&label=app:payments`, 2);
    expect(ciPay).toEqual([middle[3]!, middle[0]!]);

    const range = await allPages(h, `createdAfter=${t1}&createdBefore=${t2}`, 3, submitMore);
    expect(range).toEqual([...middle].reverse());
    const rangeDev = await allPages(h, `createdAfter=${t1}&createdBefore=${t2}&label=env:dev`, 2);
    expect(rangeDev).toEqual(expected((r) => middle.includes(r.id) && r.labels.env === 'dev'));
    const since = await allPages(h, `createdAfter=${t2}&label=app:payments`, 2);
    expect(since).toEqual([...extra, ...late].reverse().filter((id) => id !== undefined).sort().reverse());
    const before = await allPages(h, `createdBefore=${t1}`, 3);
    expect(before).toEqual([...early].reverse());

    const v1 = await allPages(h, 'pipeline=demo&pipelineVersion=1&label=env:dev', 3);
    expect(v1).toEqual(expected((r) => r.labels.env === 'dev'));
    expect((await h.request<RunList>('GET', '/v1/runs?pipeline=demo&pipelineVersion=2')).body.items).toEqual([]);

    // Bad filters are a 400.
    for (const q of ['label=nocolon', 'pipelineVersion=1', 'createdAfter=yesterday', `label=${'a'.repeat(400)}:x`]) {
      expect((await h.request('GET', `/v1/runs?${q}`)).status).toBe(400);
    }
  });

  it('maintains the indexes in the run commit and removes them with the run', async () => {
    const h = await stack.harness();
    const id = (await h.submit({ pipeline: 'demo', input: {}, labels: { team: 'ops' } })).id;
    const k = h.keys;
    const redis = h.engine.ctx.redis;
    expect(await redis.zscore(k.runsByLabel('team', 'ops'), id)).toBe('0');
    expect(await redis.zscore(k.runsByPipelineVersion('demo', 1), id)).toBe('0');
    await h.request('POST', `/v1/runs/${id}/cancel`);
    const run = await h.engine.ctx.store.load(id);
    expect(run).not.toBeNull();
    expect(await h.engine.ctx.store.delete(run!)).toBe(true);
    expect(await redis.exists(k.runsByLabel('team', 'ops'), k.runsByPipelineVersion('demo', 1))).toBe(0);
  });
});

describe('baton runs ls', () => {
  it('filters by --label k=v and --since', async () => {
    const h = await stack.harness();
    const old = (await h.submit({ pipeline: 'demo', input: {}, labels: { app: 'payments' } })).id;
    await pastMs(Date.now());
    const since = new Date().toISOString();
    await pastMs(Date.parse(since));
    const fresh = (await h.submit({ pipeline: 'demo', input: {}, labels: { app: 'payments', env: 'prod' } })).id;
    await h.submit({ pipeline: 'demo', input: {}, labels: { app: 'search' } });
    const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const cli = async (...args: string[]) => {
      const r = await promisify(execFile)(process.execPath, [join(REPO_ROOT, ENTRYPOINTS.cli), '--url', url, '--json', 'runs', 'ls', ...args]);
      return (JSON.parse(r.stdout) as RunList).items.map((i) => i.id);
    };
    expect(await cli('--label', 'app=payments', '--since', '2h')).toEqual([fresh, old]);
    expect(await cli('--label', 'app=payments', '--since', since)).toEqual([fresh]);
    expect(await cli('--label', 'app=payments', '--label', 'env=prod')).toEqual([fresh]);
    expect(await cli('--label', 'app=payments', '--until', since)).toEqual([old]);
  });
});
