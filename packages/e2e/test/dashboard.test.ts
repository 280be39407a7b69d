import { noopAgent } from '@baton/agent-noop';
import { defineAgent } from '@baton/runtime';
import { z } from 'zod';
import type { AgentList, CreatedKey } from '@baton/contracts';
import { ENTRYPOINTS, spawnAgent, useTestStack } from '@baton/testing';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHROMIUM_MISSING, screenshot, useBrowser } from './dashboard-support.js';

const stack = useTestStack();
if (CHROMIUM_MISSING) console.warn(CHROMIUM_MISSING);

/** Two parallel branches (build, lint) between plan and package; build fails once and is retried. */
const DIAMOND = {
  stages: [
    { name: 'plan', agent: 'noop', input: { ms: 600 } },
    { name: 'build', agent: 'noop', dependsOn: ['plan'], input: { ms: 1200, fail: { untilAttempt: 1 } }, retry: { maxAttempts: 2, backoff: { type: 'fixed', delayMs: 200 } } },
    { name: 'lint', agent: 'noop', dependsOn: ['plan'], input: { ms: 1500 } },
    { name: 'package', agent: 'noop', dependsOn: ['build', 'lint'], input: { ms: 300 } },
    { name: 'report', agent: 'ui-reporter', dependsOn: ['package'] },
  ],
};
/** Stores a log, like the SDLC agents do. */
const reporter = defineAgent({
  type: 'ui-reporter',
  input: z.object({}),
  output: z.object({ lines: z.number() }),
  async handler({ artifacts }) {
    await artifacts.save('report.log', 'step 1 ok\nstep 2 ok\n');
    return { lines: 2 };
  },
});

const SLOW = { stages: [{ name: 'slow', agent: 'noop', input: { ms: 120_000 } }] };

const runStatus = (page: Page, status: string) => page.locator(`#run-status [data-status="${status}"]`).waitFor();

describe.skipIf(CHROMIUM_MISSING !== null)('dashboard in a real browser', () => {
  const { open } = useBrowser(stack);

  it('shows a submitted run reaching succeeded live, with every stage and its retry on the timeline', async () => {
    const h = await stack.harness();
    await h.agent(noopAgent, { concurrency: 4 });
    await h.agent(reporter);
    const run = await h.submit({ definition: DIAMOND, labels: { team: 'ui' } });
    const { page, base } = await open(h, `/ui/runs/${run.id}`);
    // (Page scripts are strings: the tests are typechecked without the DOM library.)
    await page.evaluate('window.__sameDocument = true');

    await runStatus(page, 'succeeded'); // no reload: the SSE stream drove the page
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    expect((await h.run(run.id)).status).toBe('succeeded');

    const lanes = page.locator('.timeline .lane[data-stage]');
    expect(await Promise.all((await lanes.all()).map((l) => l.getAttribute('data-stage')))).toEqual(['plan', 'build', 'lint', 'package', 'report']);
    for (const stage of ['plan', 'build', 'lint', 'package', 'report']) {
      await expect(page.locator(`.lane[data-stage="${stage}"] .bar.att-succeeded`).count()).resolves.toBe(1);
      await expect(page.locator(`.lane[data-stage="${stage}"] .dot`).getAttribute('data-status')).resolves.toBe('succeeded');
    }
    // The retried attempt is drawn, and the parallel branches share a dependency level.
    await expect(page.locator('.lane[data-stage="build"] .bar.att-retrying').count()).resolves.toBe(1);
    await expect(page.locator('.lane[data-stage="build"] .depth').textContent()).resolves.toBe('L1');
    await expect(page.locator('.lane[data-stage="lint"] .depth').textContent()).resolves.toBe('L1');
    await page.locator('.lane[data-stage="build"]').click();
    await expect(page.locator('[data-stage-detail="build"] ol.attempts li').count()).resolves.toBe(2);
    await expect(page.locator('[data-stage-detail="build"]').textContent()).resolves.toContain('NOOP_FAILURE');
    await screenshot(page, 'run');
    // A stage's logs are shown inline.
    await page.locator('.lane[data-stage="report"]').click();
    await page.locator('[data-stage-detail="report"] pre.log', { hasText: 'step 2 ok' }).waitFor();

    // The list shows it, and a run submitted meanwhile appears without a reload.
    await page.goto(`${base}/ui/runs`);
    await page.locator(`tr[data-run="${run.id}"] [data-status="succeeded"]`).waitFor();
    const next = await h.submit({ pipeline: 'demo' });
    await page.locator(`tr[data-run="${next.id}"]`).waitFor();
    await h.waitRun(next.id);
    await page.locator(`tr[data-run="${next.id}"] [data-status="succeeded"]`).waitFor();
    await screenshot(page, 'runs');

    await page.goto(`${base}/ui/pipelines/demo`);
    await page.locator('svg.dag .node[data-node="package"]').waitFor();
    await expect(page.locator('svg.dag .edge').count()).resolves.toBeGreaterThanOrEqual(4);
    await screenshot(page, 'pipeline');
    await page.goto(`${base}/ui/queues`);
    await page.locator('tr[data-queue="noop"]').waitFor();
    await page.locator('tr[data-queue="noop"] td', { hasText: '/min' }).waitFor(); // throughput once sampled twice
    await screenshot(page, 'queues');
  });

  it('shows the items of a fan-out stage, with its failures', async () => {
    const h = await stack.harness();
    await h.agent(noopAgent, { concurrency: 4 });
    const definition = {
      stages: [
        { name: 'plan', agent: 'noop', input: { echo: { pkgs: ['a', 'b', 'c', 'd', 'e'] } } },
        {
          name: 'build',
          agent: 'noop',
          dependsOn: ['plan'],
          forEach: { $from: 'stages.plan.output.echo.pkgs', maxParallel: 2, onItemFailure: 'continue' },
          input: { ms: 100, echo: { $from: 'item' }, fail: { retryable: false, code: 'BAD_ITEM', untilAttempt: 1 } },
        },
      ],
    };
    const run = await h.submit({ definition });
    const { page } = await open(h, `/ui/runs/${run.id}`);
    await runStatus(page, 'succeeded');
    await page.locator('.lane[data-stage="build"] .bar.item-span.att-failed').nth(4).waitFor();
    await expect(page.locator('.lane[data-stage="build"] .bar.item-span').count()).resolves.toBe(5);
    await expect(page.locator('.lane[data-stage="build"] .lane-label').textContent()).resolves.toContain('5/5 items');
    await page.locator('.lane[data-stage="build"]').click();
    const detail = page.locator('[data-stage-detail="build"]');
    await detail.locator('.fan-out[data-items="5"]').waitFor();
    await expect(detail.locator('.items .item.st-failed').count()).resolves.toBe(5);
    await expect(detail.locator('.fan-out').textContent()).resolves.toContain('5 items, at most 2 at once');
    await expect(detail.locator('.fan-out ol.attempts li').first().textContent()).resolves.toContain('item 0: BAD_ITEM');
    await screenshot(page, 'fan-out');
  });

  it('cancels a running run from its page', async () => {
    const h = await stack.harness();
    await h.agent(noopAgent);
    const run = await h.submit({ definition: SLOW });
    const { page } = await open(h, `/ui/runs/${run.id}`);
    await runStatus(page, 'running');
    await page.locator('button[data-action="cancel"]').click();
    await runStatus(page, 'cancelled');
    const after = await h.run(run.id);
    expect(after.status).toBe('cancelled');
    expect(after.stages[0]!.status).toBe('cancelled');

    // The API unreachable: the page says so, and recovers by itself once it answers again.
    await page.route('**/v1/**', (r) => r.abort('connectionrefused'));
    await page.locator('nav a[data-nav="fleet"]').click();
    await page.locator('.state.error', { hasText: 'not reachable' }).waitFor();
    await page.locator('.banner', { hasText: 'not reachable' }).waitFor();
    await page.unroute('**/v1/**');
    await page.locator('.banner').waitFor({ state: 'hidden' });
    await page.locator('.state.empty', { hasText: 'No agents' }).or(page.locator('tr[data-agent]')).first().waitFor();
  });

  it('shows an agent killed with -9 as dead in the fleet view', async () => {
    const h = await stack.harness();
    const agentId = `victim-${process.pid}`;
    const agent = await spawnAgent(ENTRYPOINTS.noop, stack.redis.url, h.ns, { BATON_AGENT_ID: agentId });
    stack.defer(() => agent.kill());
    const { page, base } = await open(h, '/ui/runs');
    await page.locator('.state.empty', { hasText: 'No runs yet' }).waitFor(); // a fresh namespace
    await page.goto(`${base}/ui/fleet`);
    const row = page.locator(`tr[data-agent="${agentId}"]`);
    await page.locator(`tr[data-agent="${agentId}"][data-liveness="alive"]`).waitFor();
    await screenshot(page, 'fleet');
    await agent.kill('SIGKILL');
    await page.locator(`tr[data-agent="${agentId}"][data-liveness="dead"]`).waitFor({ timeout: 30_000 });
    await expect(row.locator('button').count()).resolves.toBe(0); // nothing to drain on a dead agent
    const listed = (await h.request<AgentList>('GET', '/v1/agents')).body.items.find((a) => a.id === agentId);
    expect(listed?.liveness).toBe('dead');
  });

  it('signs in with a key kept out of URLs and storage; a viewer sees no action buttons, an operator does', async () => {
    const BOOTSTRAP = `boot-${'d'.repeat(40)}`;
    const h = await stack.harness({}, { auth: { mode: 'required', bootstrapAdminKey: BOOTSTRAP } });
    h.headers = { authorization: `Bearer ${BOOTSTRAP}` };
    await h.agent(noopAgent);
    const key = async (role: string) => (await h.request<CreatedKey>('POST', '/v1/keys', { name: `ui-${role}`, role })).body;
    const viewer = (await key('viewer')).key;
    const operatorKey = await key('operator');
    const operator = operatorKey.key;
    const run = await h.submit({ definition: SLOW });
    await h.waitStage(run.id, 'slow', 'running');

    const signIn = async (apiKey: string) => {
      const opened = await open(h, `/ui/runs/${run.id}`);
      await opened.page.locator('form.login input[name="api-key"]').fill(apiKey);
      await opened.page.locator('form.login button[type="submit"]').click();
      await runStatus(opened.page, 'running');
      return opened;
    };

    const { page, base } = await signIn(viewer);
    await page.locator('.who [data-role="viewer"]').waitFor();
    await page.locator('.lane[data-stage="slow"]').waitFor();
    await expect(page.locator('[data-action]').count()).resolves.toBe(0);
    await screenshot(page, 'run-as-viewer');
    // The key is in no URL, no storage, and the session cookie is out of the page's reach (HttpOnly).
    const traces = String(await page.evaluate('JSON.stringify({ url: location.href, local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie })'));
    expect(traces).not.toContain(viewer.slice(-20));
    expect(traces).not.toContain('baton_session');
    for (const path of ['/ui/fleet', '/ui/queues', '/ui/pipelines/demo']) {
      await page.goto(`${base}${path}`);
      await page.locator(path === '/ui/fleet' ? 'tr[data-agent]' : path === '/ui/queues' ? 'tr[data-queue="noop"]' : 'svg.dag').first().waitFor();
      await expect(page.locator('[data-action]').count(), path).resolves.toBe(0);
    }
    // bull-board through the session: readable, but read-only for a viewer, and no admin board.
    expect((await page.request.get(`${base}/ui/bull/api/queues`)).status()).toBe(200);
    expect((await page.request.put(`${base}/ui/bull/api/queues/noop/pause`, { headers: { origin: base } })).status()).toBe(403);
    expect((await page.request.get(`${base}/ui/bull-admin/api/queues`)).status()).toBe(403);
    await page.goto(`${base}/ui/bull/`);
    await page.getByText('noop').first().waitFor();
    await page.getByText('Loading...').waitFor({ state: 'hidden' });
    await screenshot(page, 'bull-board');
    // Signing out ends the session on the server.
    await page.goto(`${base}/ui/runs`);
    await page.locator('.who button').click();
    await page.locator('form.login').waitFor();
    expect((await page.request.get(`${base}/v1/whoami`)).status()).toBe(401);

    const asOperator = await signIn(operator);
    await asOperator.page.locator('.who [data-role="operator"]').waitFor();
    await asOperator.page.locator('button[data-action="cancel"]').waitFor();
    await asOperator.page.locator('button[data-action="pause"]').waitFor();
    // Revoking the key ends its session at once: the next request brings the sign-in form back, saying why.
    await h.request('POST', `/v1/keys/${operatorKey.id}/revoke`);
    await asOperator.page.locator('nav a[data-nav="fleet"]').click();
    await asOperator.page.locator('form.login', { hasText: 'revoked' }).waitFor();
    // While signed out the menu only changes the URL: the sign-in form stays (a page rendering over it
    // would fail its own requests with nobody to sign in).
    await asOperator.page.locator('nav a[data-nav="runs"]').click();
    await asOperator.page.locator('form.login', { hasText: 'revoked' }).waitFor({ timeout: 2000 });
    expect(asOperator.page.url()).toMatch(/\/ui\/runs$/);
  });
});
