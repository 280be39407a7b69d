import { noopAgent } from '@baton/agent-noop';
import { useTestStack, type Harness } from '@baton/testing';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHROMIUM_MISSING, screenshot, useBrowser } from './dashboard-support.js';

const stack = useTestStack();
if (CHROMIUM_MISSING) console.warn(CHROMIUM_MISSING);

/** A gate whose message reads the run input and the upstream output (issue 16). */
const GATED = {
  stages: [
    { name: 'build', agent: 'noop', input: { echo: { version: '1.4.2' } } },
    { name: 'prod-ok', dependsOn: ['build'], approval: { message: 'Deploy {{ stages.build.output.echo.version }} to {{ input.env }}?' } },
    { name: 'deploy', agent: 'noop', dependsOn: ['prod-ok'] },
  ],
};

const runStatus = (page: Page, status: string) => page.locator(`#run-status [data-status="${status}"]`).waitFor();

describe.skipIf(CHROMIUM_MISSING !== null)('dashboard approvals in a real browser', () => {
  const browser = useBrowser(stack);
  const open = async (h: Harness, path: string): Promise<Page> => (await browser.open(h, path)).page;

  it('lists a waiting run under "waiting on me" and approves it from the banner, with a comment', async () => {
    const h = await stack.harness();
    await h.agent(noopAgent);
    const waiting = await h.submit({ definition: GATED, input: { env: 'production' } });
    const other = await h.submit({ definition: { stages: [{ name: 'only', agent: 'noop' }] } });
    await h.waitRun(other.id);
    await h.waitRun(waiting.id, (r) => r.status === 'waiting');

    const list = await open(h, '/ui/runs?waiting=me');
    await list.locator(`tr[data-run="${waiting.id}"]`).waitFor();
    expect(await list.locator(`tr[data-run="${other.id}"]`).count()).toBe(0);
    expect(await list.locator('input[data-filter="waiting-on-me"]').isChecked()).toBe(true);

    const page = await open(h, `/ui/runs/${waiting.id}`);
    await runStatus(page, 'waiting');
    const banner = page.locator('.approval-banner [data-approval="prod-ok"]');
    await banner.waitFor();
    expect(await banner.textContent()).toContain('Deploy 1.4.2 to production?');
    await screenshot(page, 'run-approval-banner');
    await banner.locator('input').fill('looks good');
    await banner.locator('button[data-action="approve"]').click();
    await runStatus(page, 'succeeded');
    const after = await h.run(waiting.id);
    expect(after.stages[1]!.output).toMatchObject({ decision: 'approved', comment: 'looks good' });
    expect(await page.locator('.approval-banner').count()).toBe(0);
  });
});
