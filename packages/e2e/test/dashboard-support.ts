import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT, type Harness } from '@baton/testing';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

/** The system Chromium (Debian package `chromium`); never a browser downloaded by Playwright. */
export const CHROMIUM = process.env.BATON_CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_MISSING = existsSync(CHROMIUM) ? null : `dashboard browser tests skipped: ${CHROMIUM} is not installed (apt-get install -y chromium; .ci/run installs it)`;

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** A fresh headless browser (Playwright gives every launch a new temporary profile). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30_000 });
}

/** A laptop-sized page (1366x768) with a fresh context: no cookies, no storage. */
export async function laptopPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  return { context, page };
}

export const SCREENSHOTS = join(REPO_ROOT, 'reports', 'screenshots');

/** Saves a screenshot of the page as a test artifact (reports/ is gitignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

/** Serves the harness's app on a real port (the browser needs a socket). */
export async function serve(h: Harness): Promise<string> {
  if (!h.app.server.listening) await h.app.listen({ host: '127.0.0.1', port: 0 });
  const a = h.app.server.address() as AddressInfo;
  return `http://127.0.0.1:${a.port}`;
}

/**
 * One browser for the enclosing `describe` (launched before its tests, closed after), and `open`,
 * which serves a harness on a real port and opens `path` in a fresh laptop-sized page closed with the test.
 */
export function useBrowser(stack: { defer(fn: () => Promise<unknown>): void }): { open(h: Harness, path: string): Promise<{ page: Page; base: string }> } {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    async open(h, path) {
      const base = await serve(h);
      const { context, page } = await laptopPage(browser!);
      stack.defer(() => context.close());
      await page.goto(`${base}${path}`);
      return { page, base };
    },
  };
}
