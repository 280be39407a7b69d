import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectScript, type PackageJson, type PackageManager } from '@baton/agent-kit';
import type { CheckResult } from '@baton/contracts';
import { readCappedBody } from './capped-body.js';

/**
 * How to start the app when the stage does not say: its `start` script (with its package manager),
 * else `node <main>` when package.json's `main` file exists; null when neither does.
 */
export async function startCommandOf(dir: string, pkg: PackageJson | null, pm: PackageManager | undefined): Promise<string | null> {
  const script = projectScript(pkg, 'start', pm);
  if (script) return script;
  const main = (pkg as { main?: unknown } | null)?.main;
  if (typeof main === 'string' && /^[\w./@-]+$/.test(main) && !main.startsWith('-') && existsSync(join(dir, main))) return `node ${main}`;
  return null;
}

/** The default check for an app without a health path: `GET /` answers anything below 500. */
export async function reachableCheck(base: string, timeoutMs: number, signal: AbortSignal): Promise<CheckResult> {
  const started = Date.now();
  const result = (status: 'passed' | 'failed', httpStatus: number | null, reason?: string): CheckResult => ({
    name: 'GET / answers < 500',
    method: 'GET',
    path: '/',
    status,
    httpStatus,
    durationMs: Date.now() - started,
    ...(reason ? { reason: reason.slice(0, 2000) } : {}),
  });
  try {
    const res = await fetch(`${base}/`, { redirect: 'manual', signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
    const { text: body } = await readCappedBody(res, 64 * 1024);
    return res.status < 500 ? result('passed', res.status) : result('failed', res.status, `answered ${res.status}; body: ${body.slice(0, 300)}`);
  } catch (e: unknown) {
    if (signal.aborted) throw e;
    return result('failed', null, `request failed: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`);
  }
}
