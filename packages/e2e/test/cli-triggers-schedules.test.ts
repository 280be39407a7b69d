import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ScheduleView, TriggerList } from '@baton/contracts';
import { REPO_ROOT, useTestStack } from '@baton/testing';
import { describe, expect, it } from 'vitest';

const stack = useTestStack();

describe('baton triggers / baton schedules', () => {
  it('define, list, show, pause, resume and delete triggers and schedules', async () => {
    const h = await stack.harness({}, { secrets: { BATON_SECRET_CLI_HOOK: 'cli-secret-'.padEnd(32, 'c') } });
    const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const baton = async (...args: string[]) => {
      const r = await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'packages/cli/dist/main.js'), '--url', base, ...args], { env: { ...process.env, NO_COLOR: '1' } });
      return r.stdout;
    };
    expect((await h.request('PUT', '/v1/pipelines/ci', { stages: [{ name: 's', agent: 'noop' }] })).status).toBe(201);

    const trigger = JSON.stringify({ source: 'github', secret: { env: 'BATON_SECRET_CLI_HOOK' }, pipeline: 'ci', filter: { events: ['push'] } });
    expect(await baton('triggers', 'put', 'gh', trigger)).toContain('POST /v1/hooks/gh');
    const list = JSON.parse(await baton('--json', 'triggers', 'ls')) as TriggerList;
    expect(list.items.map((t) => t.name)).toEqual(['gh']);
    expect(await baton('triggers', 'show', 'gh')).toContain('BATON_SECRET_CLI_HOOK');
    expect(await baton('triggers', 'rm', 'gh')).toContain('gh deleted');
    expect((await h.request<TriggerList>('GET', '/v1/triggers')).body.items).toEqual([]);

    expect(await baton('schedules', 'put', 'nightly', JSON.stringify({ cron: '0 3 * * *', timezone: 'Europe/Berlin', pipeline: 'ci' }))).toContain('nightly: 0 3 * * * (Europe/Berlin)');
    const ls = await baton('schedules', 'ls');
    expect(ls).toContain('nightly');
    expect(ls).toContain('active');
    expect(await baton('schedules', 'pause', 'nightly')).toContain('nightly paused');
    expect((await h.request<ScheduleView>('GET', '/v1/schedules/nightly')).body.paused).toBe(true);
    expect(await baton('schedules', 'resume', 'nightly')).toContain('nightly active; next');
    const shown = JSON.parse(await baton('schedules', 'show', 'nightly')) as ScheduleView;
    // 03:00 in Berlin is 01:00 or 02:00 UTC.
    expect(new Date(shown.next[0]!).getUTCHours()).toBeOneOf([1, 2]);
    expect(await baton('schedules', 'rm', 'nightly')).toContain('nightly deleted');
  }, 240_000);
});
