import type { RunList, RunSummary, ScheduleList, ScheduleView } from '@baton/contracts';
import { spawnOrchestrator, testNamespace, useTestStack, waitFor, type OrchestratorProcess } from '@baton/testing';
import { describe, expect, it } from 'vitest';

const stack = useTestStack();
const FAST = { BATON_SCHEDULE_RELOAD_MS: '300', LOG_LEVEL: 'warn' };

async function api<T>(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

async function runsOf(base: string, schedule: string): Promise<RunSummary[]> {
  const items: RunSummary[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: RunList } = await api<RunList>(base, 'GET', `/v1/runs?label=schedule:${schedule}&limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}
const ticksOf = (runs: RunSummary[]) => runs.map((r) => r.labels['schedule-tick']!).sort();

async function two(ns: string): Promise<[OrchestratorProcess, OrchestratorProcess]> {
  const a = await spawnOrchestrator(stack.redis.target, ns, FAST);
  stack.defer(() => a.kill('SIGTERM'));
  const b = await spawnOrchestrator(stack.redis.target, ns, FAST);
  stack.defer(() => b.kill('SIGTERM'));
  return [a, b];
}

describe('schedules', () => {
  it('an every-second cron over two orchestrator processes starts one run per tick; pause stops them; GET shows next fire times', async () => {
    const ns = testNamespace();
    const [a, b] = await two(ns);
    expect((await api(a.url, 'PUT', '/v1/pipelines/tick', { stages: [{ name: 's', agent: 'noop' }] })).status).toBe(201);
    const put = await api<ScheduleView>(a.url, 'PUT', '/v1/schedules/every', { cron: '* * * * * *', timezone: 'Europe/Berlin', pipeline: 'tick', input: { n: 1 }, overlap: 'allow' });
    expect(put.status).toBe(201);
    expect(put.body.next).toHaveLength(3);
    // Both processes fire: B learns of the schedule from its reload.
    await waitFor(async () => (await api<ScheduleList>(b.url, 'GET', '/v1/schedules')).body.items.length === 1, { what: 'B sees the schedule' });
    await waitFor(async () => (await runsOf(a.url, 'every')).length >= 6, { what: 'six ticks', timeoutMs: 60_000, intervalMs: 200 });
    const runs = await runsOf(a.url, 'every');
    const ticks = ticksOf(runs);
    expect(new Set(ticks).size).toBe(ticks.length); // one run per tick
    // Consecutive seconds: no tick skipped.
    const ms = ticks.map((t) => Date.parse(t));
    for (let i = 1; i < ms.length; i++) expect(ms[i]! - ms[i - 1]!).toBe(1000);
    expect(runs.every((r) => r.pipeline.name === 'tick')).toBe(true);
    // Both orchestrators fired ticks (the idempotency key made them one run): each logged some starts, or B saw them.
    const view = (await api<ScheduleList>(b.url, 'GET', '/v1/schedules')).body.items[0]!;
    expect(view.lastOutcome).toBe('started');
    expect(Date.parse(view.next[0]!)).toBeGreaterThan(Date.parse(view.lastTick!));

    const paused = await api<ScheduleView>(b.url, 'POST', '/v1/schedules/every/pause');
    expect(paused.body).toMatchObject({ paused: true, next: [] });
    const atPause = (await runsOf(a.url, 'every')).length;
    // At most a tick already being handled when the pause landed; then none for several ticks.
    await new Promise((r) => setTimeout(r, 1500));
    const settled = (await runsOf(a.url, 'every')).length;
    expect(settled - atPause).toBeLessThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 3000));
    expect((await runsOf(a.url, 'every')).length).toBe(settled);

    const resumed = await api<ScheduleView>(a.url, 'POST', '/v1/schedules/every/resume');
    expect(resumed.body.paused).toBe(false);
    await waitFor(async () => (await runsOf(a.url, 'every')).length > settled, { what: 'ticks after resume', timeoutMs: 30_000 });
    const after = ticksOf(await runsOf(a.url, 'every'));
    expect(new Set(after).size).toBe(after.length);

    expect((await api(a.url, 'PUT', '/v1/schedules/bad', { cron: 'not a cron', pipeline: 'tick' })).status).toBe(400);
    expect((await api(a.url, 'PUT', '/v1/schedules/bad', { cron: '* * * * *', timezone: 'Mars/Olympus', pipeline: 'tick' })).status).toBe(400);
    expect((await api(a.url, 'PUT', '/v1/schedules/bad', { cron: '* * * * *', pipeline: 'nope' })).status).toBe(404);
  }, 120_000);

  it('with every orchestrator down for several ticks: catchUp latest runs the latest missed tick once, none runs none', async () => {
    const ns = testNamespace();
    let [a, b] = await two(ns);
    expect((await api(a.url, 'PUT', '/v1/pipelines/tick', { stages: [{ name: 's', agent: 'noop' }] })).status).toBe(201);
    // Ticks at chosen seconds: two while up, three while down, one after the restart.
    const base = Math.ceil((Date.now() + 4000) / 1000) * 1000;
    const offsets = [0, 3, 12, 15, 18, 40];
    const at = offsets.map((o) => base + o * 1000);
    const cron = `${[...new Set(at.map((t) => new Date(t).getUTCSeconds()))].join(',')} * * * * *`;
    for (const [name, catchUp] of [['latest', 'latest'], ['none', 'none']] as const) {
      expect((await api(a.url, 'PUT', `/v1/schedules/${name}`, { cron, pipeline: 'tick', overlap: 'allow', catchUp })).status).toBe(201);
    }
    const iso = (t: number) => new Date(t).toISOString();
    await waitFor(async () => (await runsOf(a.url, 'latest')).length === 2 && (await runsOf(a.url, 'none')).length === 2, { what: 'the two ticks while up', timeoutMs: 30_000, intervalMs: 200 });
    expect(Date.now()).toBeLessThan(at[2]! - 1000); // the outage starts before the first missed tick
    await Promise.all([a.kill('SIGKILL'), b.kill('SIGKILL')]);
    // Down for three ticks.
    await waitFor(() => Date.now() > at[4]! + 500, { what: 'the missed ticks to pass', timeoutMs: 60_000, intervalMs: 200 });
    [a, b] = await two(ns);
    expect(Date.now()).toBeLessThan(at[5]!);
    await waitFor(async () => (await runsOf(a.url, 'latest')).length === 3, { what: 'the caught-up tick', timeoutMs: 20_000 });
    await waitFor(async () => (await runsOf(a.url, 'latest')).length === 4 && (await runsOf(a.url, 'none')).length === 3, { what: 'the tick after the restart', timeoutMs: 60_000, intervalMs: 200 });
    expect(ticksOf(await runsOf(a.url, 'latest'))).toEqual([iso(at[0]!), iso(at[1]!), iso(at[4]!), iso(at[5]!)]);
    expect(ticksOf(await runsOf(a.url, 'none'))).toEqual([iso(at[0]!), iso(at[1]!), iso(at[5]!)]);
    const none = (await api<ScheduleView>(b.url, 'GET', '/v1/schedules/none')).body;
    expect(none.lastTick).toBe(iso(at[5]!));
  }, 180_000);
});
