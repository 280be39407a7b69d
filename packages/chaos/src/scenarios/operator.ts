import type { RunView } from '@baton/contracts';
import { api } from '../api.js';
import type { LedgerEntry } from '../ledger.js';
import type { ChaosStack } from '../stack.js';
import { sleep } from '../stats.js';

/** Operator actions and reads the operator scenarios (7–9) share. */

/** An operator request on a live orchestrator, retried while it answers 503 or not at all. */
export async function operate(stack: ChaosStack, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  for (let i = 0; ; i++) {
    try {
      const res = await api<unknown>(stack.url(), method, path, body, { timeoutMs: 15_000 });
      if (res.status !== 503 || i >= 40) return res;
    } catch (e: unknown) {
      if (i >= 40) throw e;
    }
    await sleep(250);
  }
}

/** The run, or null when it is gone (404). */
export async function view(stack: ChaosStack, id: string): Promise<RunView | null> {
  const res = await operate(stack, 'GET', `/v1/runs/${id}`);
  return res.status === 200 ? (res.body as RunView) : null;
}

/** Polls the run until `pred` holds (returns it), it is gone (null), or `timeoutMs` passes (throws). */
export async function until(stack: ChaosStack, id: string, pred: (r: RunView) => boolean, timeoutMs = 60_000, everyMs = 50): Promise<RunView | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await view(stack, id);
    if (!r || pred(r)) return r;
    if (Date.now() > deadline) throw new Error(`run ${id} still ${r.status} after ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** The dispatch a ledger line's job belongs to (`<run>.<stage>.<dispatch>`). */
export const dispatchOf = (e: LedgerEntry): number => Number(e.jobId.slice(e.jobId.lastIndexOf('.') + 1));

export const startedAtMs = (e: LedgerEntry): number => Date.parse(e.startedAt ?? e.at);
