import { noopAgent } from '@baton/agent-noop';
import type { Overview, RunView } from '@baton/contracts';
import { useTestStack } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { CHROMIUM_MISSING, screenshot, useBrowser } from './dashboard-support.js';

const stack = useTestStack();
if (CHROMIUM_MISSING) console.warn(CHROMIUM_MISSING);

const ok = (ms: number) => ({ definition: { stages: [{ name: 'work', agent: 'noop', input: { ms } }] } });
const failing = { definition: { stages: [{ name: 'work', agent: 'noop', input: { ms: 50, fail: { retryable: false } } }] } };
const slow = { definition: { stages: [{ name: 'work', agent: 'noop', input: { ms: 120_000 } }] } };

/** Pixels of the canvas under `selector` painted in a series colour `hex` (its line or points were drawn, not only the axes). */
const inked = (selector: string, hex: string) => `(() => {
  const c = document.querySelector(${JSON.stringify(selector)});
  if (!c) return -1;
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(${JSON.stringify(hex)}.slice(i, i + 2), 16));
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && Math.abs(d[i] - r) < 12 && Math.abs(d[i + 1] - g) < 12 && Math.abs(d[i + 2] - b) < 12) n++;
  return n;
})()`;
const GREEN = '#1f9d55'; // succeeded
const RED = '#d64545'; // failed
const BLUE = '#2f5bd3'; // the first agent type's p50

describe.skipIf(CHROMIUM_MISSING !== null)('the overview page in a real browser', () => {
  const { open } = useBrowser(stack);

  it('is the landing page and plots exactly the runs made in the test', async () => {
    const h = await stack.harness();
    await h.agent(noopAgent, { concurrency: 4 });
    const runs: RunView[] = [];
    for (const ms of [20, 200, 400]) runs.push(await h.submit(ok(ms)));
    for (let i = 0; i < 2; i++) runs.push(await h.submit(failing));
    const cancelled = await h.submit(slow);
    await h.waitStage(cancelled.id, 'work', 'running');
    expect((await h.request('POST', `/v1/runs/${cancelled.id}/cancel`, {})).status).toBe(200);
    const finished = await Promise.all([...runs, cancelled].map((r) => h.waitRun(r.id)));
    expect(finished.map((r) => r.status).sort()).toEqual(['cancelled', 'failed', 'failed', 'succeeded', 'succeeded', 'succeeded']);
    // Stages that ran to a result (the cancelled one may be cancelled rather than failed).
    const stagesDone = finished.flatMap((r) => r.stages).filter((s) => s.status === 'succeeded' || s.status === 'failed').length;

    // The API agrees with what was made.
    const api = (await h.request<Overview>('GET', '/v1/overview')).body;
    expect(api.runs.total).toEqual({ succeeded: 3, failed: 2, cancelled: 1 });
    expect(api.stages.find((s) => s.agent === 'noop')?.total.finished).toBe(stagesDone);

    // The chart library is served from the pinned package: its module and stylesheet, nothing else.
    expect((await h.request('GET', '/ui/vendor/uplot/uPlot.esm.js')).status).toBe(200);
    expect((await h.request('GET', '/ui/vendor/uplot/uPlot.min.css')).status).toBe(200);
    expect((await h.request('GET', '/ui/vendor/uplot/uPlot.cjs.js')).status).toBe(404);

    const { page } = await open(h, '/ui/');
    await page.locator('[data-figure="runs-succeeded"]').waitFor();
    await expect(page.locator('nav a.active').getAttribute('data-nav')).resolves.toBe('overview');

    // The figures shown equal the runs made, and link into the filtered run list.
    for (const [status, n] of [['succeeded', 3], ['failed', 2], ['cancelled', 1]] as const) {
      const fig = page.locator(`[data-figure="runs-${status}"]`);
      await expect(fig.textContent()).resolves.toBe(String(n));
      await expect(fig.getAttribute('href')).resolves.toMatch(new RegExp(`^/ui/runs\\?status=${status}&`));
    }
    // What the runs chart plots: per-minute counts that add up to the same runs.
    const plotted = JSON.parse((await page.locator('[data-chart="runs"]').getAttribute('data-series'))!) as Record<string, (number | null)[]>;
    const total = (k: string) => (plotted[k] ?? []).reduce<number>((a, b) => a + (b ?? 0), 0);
    expect({ succeeded: total('succeeded'), failed: total('failed'), cancelled: total('cancelled') }).toEqual({ succeeded: 3, failed: 2, cancelled: 1 });
    await expect(page.locator('[data-chart="runs"]').getAttribute('data-drawn')).resolves.toBe('3');
    expect(await page.evaluate(inked('[data-chart="runs"] canvas', GREEN))).toBeGreaterThan(0);
    expect(await page.evaluate(inked('[data-chart="runs"] canvas', RED))).toBeGreaterThan(0);

    // Stage durations by agent type: the count, and percentiles within the range the stages took.
    const noop = page.locator('[data-table="stages"] tr[data-agent="noop"]');
    await expect(noop.locator('[data-figure="stages-finished"]').getAttribute('data-value')).resolves.toBe(String(stagesDone));
    const p50 = Number(await noop.locator('[data-figure="p50"]').getAttribute('data-value'));
    const p95 = Number(await noop.locator('[data-figure="p95"]').getAttribute('data-value'));
    expect(p50).toBeGreaterThan(0);
    expect(p95).toBeGreaterThanOrEqual(p50);
    expect(p95).toBeLessThanOrEqual(5); // every stage took well under a second; a bucket is at most 2.5x wide
    await expect(page.locator('[data-chart="durations"]').getAttribute('data-drawn')).resolves.not.toBe('0');
    expect(await page.evaluate(inked('[data-chart="durations"] canvas', BLUE))).toBeGreaterThan(0);

    // The fleet now: one noop agent alive, nothing waiting.
    const fleet = page.locator('[data-table="fleet"] tr[data-agent="noop"]');
    await expect(fleet.locator('[data-figure="alive"]').getAttribute('data-value')).resolves.toBe('1');
    await expect(fleet.locator('[data-figure="waiting"]').getAttribute('data-value')).resolves.toBe('0');
    for (const name of ['waiting', 'oldest', 'alive']) await page.locator(`[data-chart="${name}"]`).waitFor();
    await screenshot(page, 'overview');

    // A link goes to the run list with the outcome filter.
    await page.locator('[data-figure="runs-failed"]').click();
    await page.waitForURL(/\/ui\/runs\?status=failed/);
    await expect(page.locator('nav a.active').getAttribute('data-nav')).resolves.toBe('runs');
  }, 120_000);
});
