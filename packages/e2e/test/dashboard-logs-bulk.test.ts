import { noopAgent } from '@baton/agent-noop';
import type { CreatedKey, RunEvent } from '@baton/contracts';
import { defineAgent } from '@baton/runtime';
import { useTestStack } from '@baton/testing';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CHROMIUM_MISSING, screenshot, useBrowser } from './dashboard-support.js';

const stack = useTestStack();
if (CHROMIUM_MISSING) console.warn(CHROMIUM_MISSING);

const SECRET = 'sekrit-0xBADC0DE';
const N = 120;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes N coloured lines, one every `everyMs`, each naming a secret the runtime must redact. */
const talker = defineAgent({
  type: 'ui-talker',
  input: z.object({ lines: z.number().int(), everyMs: z.number().int(), secret: z.string() }),
  output: z.object({ lines: z.number() }),
  async handler({ input, output }) {
    output.redact(input.secret);
    for (let i = 1; i <= input.lines; i++) {
      output.write(`\x1b[1;31mline ${i}\x1b[0m of ${input.lines} \x1b[32mtoken=${input.secret}\x1b[39m\n`);
      await sleep(input.everyMs);
    }
    return { lines: input.lines };
  },
});

/** plan's output feeds talk's input through $from (the stage panel shows it resolved, the secret redacted). */
const TALK = {
  stages: [
    { name: 'plan', agent: 'noop', input: { echo: { lines: N } } },
    { name: 'talk', agent: 'ui-talker', dependsOn: ['plan'], input: { lines: { $from: 'stages.plan.output.echo.lines' }, everyMs: 100, secret: SECRET } },
  ],
};

const expectedLine = (i: number) => `line ${i} of ${N} token=[redacted]`;
const runStatus = (page: Page, status: string) => page.locator(`#run-status [data-status="${status}"]`).waitFor();

describe.skipIf(CHROMIUM_MISSING !== null)('dashboard: live logs and bulk actions in a real browser', () => {
  const { open } = useBrowser(stack);

  it('tails a running stage: lines in order while it runs, secret redacted, colours rendered, auto-scroll stops when scrolled up; the resolved input beside the definition', async () => {
    const h = await stack.harness();
    await h.agent(noopAgent);
    await h.agent(talker);
    const run = await h.submit({ definition: TALK });
    await h.waitStage(run.id, 'talk', 'running');
    const { page } = await open(h, `/ui/runs/${run.id}`);
    await page.locator('.lane[data-stage="talk"]').click();
    const box = page.locator('[data-live-log="talk"]');
    const lines = box.locator('.log-line');
    // (Page scripts are strings: the tests are typechecked without the DOM library.)
    const onBox = <T>(expr: string) => page.evaluate(`(() => { const el = document.querySelector('[data-live-log="talk"]'); return ${expr}; })()`) as Promise<T>;

    // Lines arrive while the stage still runs.
    await lines.nth(29).waitFor();
    expect((await h.run(run.id)).stages.find((s) => s.name === 'talk')!.status).toBe('running');
    await page.locator('[data-stage-log="talk"] [data-log-state="live"]').waitFor();
    // Following: the view is at the bottom.
    const gap = () => onBox<number>('el.scrollHeight - el.scrollTop - el.clientHeight');
    await expect.poll(gap).toBeLessThanOrEqual(8);
    expect(await box.getAttribute('data-follow')).toBe('true');

    // Scrolled up: it stays where the user put it while lines keep coming.
    await onBox('el.scrollTo({ top: 0 })');
    await page.locator('[data-live-log="talk"][data-follow="false"]').waitFor();
    const shown = await lines.count();
    await lines.nth(shown + 10).waitFor();
    expect(await onBox<number>('el.scrollTop')).toBe(0);
    await expect(page.locator('[data-stage-log="talk"] [data-log-state]').textContent()).resolves.toContain('paused');
    // Back at the bottom: it follows again.
    // (As a user would: scroll down until it follows; lines keep arriving meanwhile.)
    await expect
      .poll(async () => {
        await onBox('el.scrollTo({ top: el.scrollHeight })');
        return box.getAttribute('data-follow');
      })
      .toBe('true');
    const again = await lines.count();
    await lines.nth(again + 5).waitFor();
    await expect.poll(gap).toBeLessThanOrEqual(8);
    await screenshot(page, 'live-log');

    // The attempt ends: the tail stops, with every line once, in order.
    await runStatus(page, 'succeeded');
    await page.locator('[data-live-log="talk"] [data-log-end="succeeded"]').waitFor();
    await page.locator('[data-stage-log="talk"] [data-log-state="ended"]').waitFor();
    expect(await lines.allTextContents()).toEqual(Array.from({ length: N }, (_, i) => expectedLine(i + 1)));
    // Colours: bold red and green spans, drawn in the palette colour.
    await expect(box.locator('.log-line span.ansi-bold.ansi-fg-1').count()).resolves.toBe(N);
    await expect(box.locator('.log-line span.ansi-fg-2').count()).resolves.toBe(N);
    const red = await onBox<string[]>(`((s) => [getComputedStyle(s).color, getComputedStyle(s).fontWeight])(el.querySelector('.log-line span.ansi-fg-1'))`);
    expect(red).toEqual(['rgb(240, 98, 95)', '700']);
    // (The input as defined, shown beside, is the submitter's own and is not redacted.)
    expect(await box.textContent()).not.toContain(SECRET);

    // The input as defined, and as received: $from resolved, the secret-looking key redacted.
    const received = page.locator('[data-stage-detail="talk"] [data-testid="resolved-input"]');
    await expect(received.textContent()).resolves.toContain('dispatch 1');
    const shownInput = JSON.parse((await received.locator('pre.json').textContent())!) as Record<string, unknown>;
    expect(shownInput).toEqual({ lines: N, everyMs: 100, secret: '[redacted]' });
    await expect(page.locator('[data-stage-detail="talk"]').textContent()).resolves.toContain('stages.plan.output.echo.lines');

    // A finished stage shows its stored log the same way (another page, no stream).
    const { page: later } = await open(h, `/ui/runs/${run.id}`);
    await later.locator('.lane[data-stage="talk"]').click();
    await later.locator('[data-live-log="talk"] [data-log-end="succeeded"]').waitFor();
    expect(await later.locator('[data-live-log="talk"] .log-line').allTextContents()).toEqual(Array.from({ length: N }, (_, i) => expectedLine(i + 1)));
  });

  it('shows the truncated marker of an attempt past the cap', async () => {
    const h = await stack.harness();
    await h.agent(noopAgent);
    const run = await h.submit({ definition: { stages: [{ name: 'big', agent: 'noop', input: { print: { lines: 60_000 } } }] } });
    expect((await h.waitRun(run.id, undefined, 60_000)).status).toBe('succeeded');
    const { page } = await open(h, `/ui/runs/${run.id}`);
    const box = page.locator('[data-live-log="big"]');
    await box.locator('[data-log-truncated]').waitFor({ timeout: 60_000 });
    await expect(box.locator('[data-log-truncated]').textContent()).resolves.toContain('truncated');
    await box.locator('[data-log-end="succeeded"]').waitFor();
  }, 120_000);

  it('bulk retry of all runs matching the filter, and bulk cancel of selected runs, with a confirm count and results per run', async () => {
    const h = await stack.harness();
    await h.agent(noopAgent);
    const failed: string[] = [];
    for (let i = 0; i < 3; i++) failed.push((await h.submit({ definition: { stages: [{ name: 'x', agent: 'noop', input: { fail: true } }] } })).id);
    for (const id of failed) await h.waitRun(id);
    const gate = (await h.submit({ definition: { stages: [{ name: 'g', approval: {} }] } })).id;
    await h.waitRun(gate, (r) => r.status === 'waiting');
    const ok = (await h.submit({ definition: { stages: [{ name: 'y', agent: 'noop' }] } })).id;
    await h.waitRun(ok);

    // All failed runs: the confirm says how many, then each is retried once.
    const { page, base } = await open(h, '/ui/runs?status=failed');
    for (const id of failed) await page.locator(`tr[data-run="${id}"]`).waitFor();
    await page.locator('input[data-bulk="all-matching"]').check();
    await page.locator('button[data-bulk-action="retry"]').click();
    const confirm = page.locator('.bulk-confirm[data-bulk-matched]');
    await confirm.waitFor();
    expect(await confirm.getAttribute('data-bulk-matched')).toBe('3');
    await expect(confirm.locator('[data-bulk-ids]').textContent()).resolves.toBe([...failed].reverse().join(', '));
    for (const id of failed) expect((await h.run(id)).status).toBe('failed'); // the dry run changed nothing
    await screenshot(page, 'bulk-confirm');
    await page.locator('button[data-bulk-confirm="retry"]').click();
    const results = page.locator('.bulk-results');
    await results.waitFor();
    expect(await results.getAttribute('data-bulk-done')).toBe('3');
    for (const id of failed) expect(await results.locator(`[data-bulk-result="${id}"]`).getAttribute('data-outcome')).toBe('done');
    for (const id of failed) {
      await h.waitRun(id, (r) => r.status === 'failed' && r.stages[0]!.attempts > 0);
      const events = (await h.engine.events(id, '0', 1000)).map((e) => JSON.parse(e.json) as RunEvent);
      expect(events.filter((e) => e.type === 'run.retried')).toHaveLength(1);
    }
    expect((await h.run(ok)).status).toBe('succeeded');

    // Selected runs (no filter: "all matching" is off): the waiting one is cancelled, a failed one skipped with the reason.
    await page.goto(`${base}/ui/runs`);
    await page.locator(`tr[data-run="${gate}"]`).waitFor();
    expect(await page.locator('input[data-bulk="all-matching"]').isDisabled()).toBe(true);
    expect(await page.locator('button[data-bulk-action="cancel"]').isDisabled()).toBe(true);
    await page.locator(`input[data-select="${gate}"]`).check();
    await page.locator(`input[data-select="${failed[0]}"]`).check();
    await expect(page.locator('[data-bulk-count]').textContent()).resolves.toBe('2 selected');
    await page.locator('button[data-bulk-action="cancel"]').click();
    await confirm.waitFor();
    expect(await confirm.getAttribute('data-bulk-matched')).toBe('2');
    await page.locator('button[data-bulk-confirm="cancel"]').click();
    await results.waitFor();
    expect(await results.getAttribute('data-bulk-done')).toBe('1');
    expect(await results.getAttribute('data-bulk-skipped')).toBe('1');
    expect(await results.locator(`[data-bulk-result="${gate}"]`).getAttribute('data-outcome')).toBe('done');
    const skipped = results.locator(`[data-bulk-result="${failed[0]}"]`);
    expect(await skipped.getAttribute('data-outcome')).toBe('skipped');
    await expect(skipped.textContent()).resolves.toContain('INVALID_STATE');
    await screenshot(page, 'bulk-results');
    expect((await h.run(gate)).status).toBe('cancelled');
    await page.locator(`tr[data-run="${gate}"] [data-status="cancelled"]`).waitFor();
  });

  it('filters the run list by labels and a created-at range kept in the URL; "all matching" acts on exactly that filter', async () => {
    const h = await stack.harness();
    const gate = { stages: [{ name: 'g', approval: {} }] };
    const submit = async (labels: Record<string, string>) => {
      const r = await h.submit({ definition: gate, labels });
      await h.waitRun(r.id, (v) => v.status === 'waiting');
      return r.id;
    };
    const prodOld = await submit({ app: 'payments', env: 'prod' });
    const dev = await submit({ app: 'payments', env: 'dev' });
    await sleep(20);
    const after = new Date().toISOString();
    await sleep(20);
    const prodNew = await submit({ app: 'payments', env: 'prod' });
    const web = await submit({ app: 'web', env: 'prod' });
    const rows = async (page: Page) => page.locator('tr[data-run]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run')));

    // Two labels ANDed, from the URL.
    const { page, base } = await open(h, '/ui/runs?label=app:payments&label=env:prod');
    await page.locator(`tr[data-run="${prodNew}"]`).waitFor();
    expect(await rows(page)).toEqual([prodNew, prodOld]);
    expect(await page.locator('input[aria-label="labels"]').inputValue()).toBe('app:payments env:prod');

    // Editing the labels input rewrites the URL and the list.
    await page.locator('input[aria-label="labels"]').fill('app:payments');
    await page.locator('input[aria-label="labels"]').press('Enter');
    await page.waitForURL((u) => u.searchParams.getAll('label').join(',') === 'app:payments');
    await page.locator(`tr[data-run="${dev}"]`).waitFor();
    expect(await rows(page)).toEqual([prodNew, dev, prodOld]);

    // A created-at range with the labels.
    await page.goto(`${base}/ui/runs?${new URLSearchParams([['label', 'env:prod'], ['createdAfter', after]])}`);
    await page.locator(`tr[data-run="${web}"]`).waitFor();
    expect(await rows(page)).toEqual([web, prodNew]);
    expect(await page.locator('input[aria-label="createdAfter"]').inputValue()).not.toBe('');

    // "All matching" cancels exactly the runs of that filter.
    await page.locator('input[data-bulk="all-matching"]').check();
    await page.locator('button[data-bulk-action="cancel"]').click();
    const confirm = page.locator('.bulk-confirm[data-bulk-matched]');
    await confirm.waitFor();
    expect(await confirm.getAttribute('data-bulk-matched')).toBe('2');
    await page.locator('button[data-bulk-confirm="cancel"]').click();
    await page.locator('.bulk-results').waitFor();
    expect(await page.locator('.bulk-results').getAttribute('data-bulk-done')).toBe('2');
    for (const id of [web, prodNew]) await h.waitRun(id, (v) => v.status === 'cancelled');
    for (const id of [prodOld, dev]) expect((await h.run(id)).status).toBe('waiting');
  }, 120_000);

  it('shows no bulk controls to a viewer', async () => {
    const BOOTSTRAP = `boot-${'e'.repeat(40)}`;
    const h = await stack.harness({}, { auth: { mode: 'required', bootstrapAdminKey: BOOTSTRAP } });
    h.headers = { authorization: `Bearer ${BOOTSTRAP}` };
    await h.agent(noopAgent);
    const viewer = (await h.request<CreatedKey>('POST', '/v1/keys', { name: 'ui-viewer', role: 'viewer' })).body.key;
    const run = await h.submit({ definition: { stages: [{ name: 'y', agent: 'noop' }] } });
    await h.waitRun(run.id);
    const { page } = await open(h, '/ui/runs');
    await page.locator('form.login input[name="api-key"]').fill(viewer);
    await page.locator('form.login button[type="submit"]').click();
    await page.locator(`tr[data-run="${run.id}"]`).waitFor();
    await expect(page.locator('[data-bulk], [data-select], [data-bulk-action]').count()).resolves.toBe(0);
  });
});
