import type { BrowserResult } from '@baton/contracts';
import { chromium, type Browser } from 'playwright-core';

/** Flags for a headless system Chromium in a container or CI runner. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

export interface BrowserCheckOptions {
  mode: 'auto' | 'required' | 'off';
  /** The Chromium found on this host, or null. */
  executablePath: string | null;
  /** Where it was looked for (for the "skipped" reason). */
  searched: readonly string[];
  url: string;
  expectText?: string | undefined;
  timeoutMs: number;
  signal: AbortSignal;
  /** Stores the screenshot; returns its artifact id. */
  saveScreenshot: (png: Buffer) => Promise<string | null>;
}

/**
 * Loads a page of the app in the system Chromium (playwright-core, never a downloaded browser),
 * checks its status and text, and saves a screenshot. Without Chromium the step is skipped (mode
 * auto) or failed (mode required), with the reason.
 */
export async function browserCheck(o: BrowserCheckOptions): Promise<BrowserResult> {
  const started = Date.now();
  const result = (status: BrowserResult['status'], extra: Partial<BrowserResult> = {}): BrowserResult => ({
    status,
    screenshot: null,
    durationMs: Date.now() - started,
    ...extra,
  });
  if (o.mode === 'off') return result('skipped', { reason: 'browser.mode is off' });
  if (!o.executablePath) {
    const reason = `Chromium is not installed (looked for ${o.searched.join(', ')}; set BATON_CHROMIUM_PATH)`;
    return result(o.mode === 'required' ? 'failed' : 'skipped', { reason });
  }

  let browser: Browser | null = null;
  const close = () => browser?.close().catch(() => undefined);
  o.signal.addEventListener('abort', () => void close(), { once: true });
  try {
    browser = await chromium.launch({
      executablePath: o.executablePath,
      headless: true,
      args: [...CHROMIUM_ARGS],
      timeout: o.timeoutMs,
      // The agent runtime owns signal handling; the browser is closed below and on abort.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    if (o.signal.aborted) throw new Error('aborted');
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const res = await page.goto(o.url, { timeout: o.timeoutMs, waitUntil: 'load' });
    const title = (await page.title()).slice(0, 500);
    const text = (await page.textContent('body', { timeout: o.timeoutMs })) ?? '';
    const screenshot = await o.saveScreenshot(await page.screenshot({ fullPage: true, timeout: o.timeoutMs }));
    const status = res?.status() ?? null;
    let reason: string | undefined;
    if (status === null || status >= 400) reason = `page answered ${status ?? 'nothing'}`;
    else if (o.expectText !== undefined && !text.includes(o.expectText)) reason = `page text does not contain ${JSON.stringify(o.expectText)}`;
    return result(reason ? 'failed' : 'passed', { url: o.url, title, screenshot, ...(reason ? { reason } : {}) });
  } catch (e: unknown) {
    if (o.signal.aborted) throw e;
    return result('failed', { url: o.url, reason: `browser check failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`.slice(0, 2000) });
  } finally {
    await close();
  }
}
