import type { RunEvent, RunView } from '@baton/contracts';
import type { BatonProcess } from './processes.js';
import { http } from './http.js';
import { waitFor } from './wait-for.js';

/** A run that reached a terminal status. */
export const runFinished = (r: RunView): boolean => r.status === 'succeeded' || r.status === 'failed' || r.status === 'cancelled';

/**
 * Polls `GET /v1/runs/:id` of an orchestrator process until `pred` holds, and returns that view.
 * `base` may be a function, for tests that replace the orchestrator (its URL changes) meanwhile.
 */
export function waitRunOverHttp(base: string | (() => string), id: string, pred: (r: RunView) => boolean, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<RunView> {
  const url = typeof base === 'string' ? () => base : base;
  return waitFor(
    async () => {
      const res = await http<RunView>(url(), 'GET', `/v1/runs/${id}`);
      return res.status === 200 && pred(res.body) ? res.body : undefined;
    },
    { what: `run ${id}`, timeoutMs: opts.timeoutMs ?? 90_000, intervalMs: opts.intervalMs ?? 200 },
  );
}

/** A run's events so far, from its SSE stream (which ends when the run has finished). */
export async function runEventsOverHttp(base: string, id: string): Promise<RunEvent[]> {
  const text = await (await fetch(`${base}/v1/runs/${id}/events`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as RunEvent);
}

/** Processes a test file starts, all killed (SIGKILL) by `killAll` after each test. */
export function processTracker(): { track<T extends BatonProcess>(p: Promise<T>): Promise<T>; killAll(): Promise<void> } {
  const procs: BatonProcess[] = [];
  return {
    async track(p) {
      const proc = await p;
      procs.push(proc);
      return proc;
    },
    async killAll() {
      await Promise.all(procs.splice(0).map((p) => p.kill('SIGKILL')));
    },
  };
}
