import { createHmac } from 'node:crypto';
import type { ScheduleView } from '@baton/contracts';
import { useTestStack, waitFor } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { CHROMIUM_MISSING, screenshot, useBrowser } from './dashboard-support.js';

const stack = useTestStack();
if (CHROMIUM_MISSING) console.warn(CHROMIUM_MISSING);
const SECRET = 'ui-hook-secret-'.padEnd(40, 'u');

describe.skipIf(CHROMIUM_MISSING !== null)('dashboard: automation page in a real browser', () => {
  const { open } = useBrowser(stack);

  it('lists schedules with last/next run and pauses one; lists triggers with their deliveries and outcomes', async () => {
    const h = await stack.harness({}, { secrets: { BATON_SECRET_UI_HOOK: SECRET } });
    expect((await h.request('PUT', '/v1/pipelines/nightly', { stages: [{ name: 's', agent: 'noop' }] })).status).toBe(201);
    expect((await h.request('PUT', '/v1/schedules/nightly', { cron: '0 3 * * *', timezone: 'Europe/Berlin', pipeline: 'nightly' })).status).toBe(201);
    expect((await h.request('PUT', '/v1/triggers/gh', { source: 'github', secret: { env: 'BATON_SECRET_UI_HOOK' }, pipeline: 'nightly', filter: { branches: ['main'] } })).status).toBe(201);
    const deliver = async (ref: string, id: string) => {
      const body = JSON.stringify({ ref, after: 'a'.repeat(40), repository: { full_name: 'o/r' } });
      const sig = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
      return (await h.app.inject({ method: 'POST', url: '/v1/hooks/gh', headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': id, 'x-hub-signature-256': sig }, payload: body })).statusCode;
    };
    expect(await deliver('refs/heads/main', 'delivery-started')).toBe(202);
    expect(await deliver('refs/heads/dev', 'delivery-ignored')).toBe(202);

    const { page } = await open(h, '/ui/automation');
    const row = page.locator('[data-schedule="nightly"]');
    await row.waitFor();
    expect(await row.locator('[data-next]').innerText()).not.toBe('—');
    await page.locator('[data-delivery="delivery-started"]').waitFor();
    expect(await page.locator('[data-delivery="delivery-started"]').innerText()).toContain('started');
    expect(await page.locator('[data-delivery="delivery-ignored"]').innerText()).toContain('ignored');
    await screenshot(page, 'automation');
    await row.locator('[data-action="pause-schedule"]').click();
    await waitFor(async () => (await h.request<ScheduleView>('GET', '/v1/schedules/nightly')).body.paused, { what: 'the schedule paused' });
    await row.locator('[data-action="resume-schedule"]').waitFor();
  }, 90_000);
});
