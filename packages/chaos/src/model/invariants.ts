import { TERMINAL_RUN_STATUSES, type RunEvent, type RunView } from '@baton/contracts';
import { api } from '../api.js';
import { auditHistory, readEvents } from '../audit.js';
import { Ledger, type LedgerEntry } from '../ledger.js';
import { sleep } from '../stats.js';
import type { ModelStack } from './model-stack.js';
import type { RunTrace, SequenceTrace } from './trace.js';

/** A start this long after an acknowledged cancel/pause still counts as "already on its way" (the check-to-handler gap). */
export const START_SLACK_MS = 250;
/** How long an execution whose agent blocked its event loop (and so lost its lock) may overlap the next one. */
export const LOST_LOCK_OVERLAP_MS = 10_000;

/** The outcome of one sequence: what the invariants found, and the figures the report sums. */
export interface SequenceVerdict {
  violations: string[];
  runs: number;
  executions: number;
  reexecutions: number;
  overlaps: number;
  longestOverlapMs: number;
  deletedByRetention: number;
  retryEvents: number;
  /** How long the runs took to settle after the sequence's last command (the stuck bound is 90 s). */
  settleMs: number;
}

const stable = (s: string) => TERMINAL_RUN_STATUSES.has(s as RunView['status']) || s === 'paused';

/** Waits (up to `timeoutMs`) until every run of the sequence is terminal, paused or gone. */
async function settle(m: ModelStack, ids: string[], timeoutMs: number): Promise<Map<string, RunView | null>> {
  const out = new Map<string, RunView | null>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const id of ids) {
      try {
        const res = await api<RunView>(await m.url(), 'GET', `/v1/runs/${id}`, undefined, { timeoutMs: 10_000 });
        if (res.status === 200) out.set(id, res.body);
        else if (res.status === 404) out.set(id, null);
      } catch {
        // an orchestrator restarting: ask again
      }
    }
    const pending = ids.filter((id) => !out.has(id) || (out.get(id) !== null && !stable(out.get(id)!.status)));
    if (pending.length === 0 || Date.now() > deadline) return out;
    await sleep(500);
  }
}

/** [from, to) intervals in which no new attempt of the run may start: after a cancel until a retry, after a pause until a resume. */
function closedWindows(t: RunTrace): { kind: string; from: number; to: number }[] {
  const out: { kind: string; from: number; to: number }[] = [];
  t.actions.forEach((a, i) => {
    if (a.kind !== 'cancel' && a.kind !== 'pause') return;
    const reopen = t.actions.slice(i + 1).find((b) => (a.kind === 'cancel' ? b.kind === 'retry' : b.kind === 'resume' || b.kind === 'retry'));
    out.push({ kind: a.kind, from: a.ackAt, to: reopen ? reopen.sentAt : Infinity });
  });
  return out;
}

/** [from, to] epoch-ms spans in which an agent process (by pid) had its event loop blocked by a handler. */
export type BlockedSpans = Map<number, [number, number][]>;

/** The spans in which each agent process ran a blocking stage of one of `runs` (from the ledger's handler starts). */
export function blockedSpans(runs: Iterable<RunTrace>, starts: LedgerEntry[]): BlockedSpans {
  const out: BlockedSpans = new Map();
  const byRun = new Map([...runs].map((t) => [t.id, t] as const));
  for (const s of starts) {
    const ms = byRun.get(s.runId)?.blocking.get(s.stage);
    if (!ms) continue;
    const from = Date.parse(s.at);
    out.set(s.pid, [...(out.get(s.pid) ?? []), [from, from + ms]]);
  }
  return out;
}

/** An execution whose process had its event loop blocked while it ran: it could not renew its lock. */
function cutOff(e: LedgerEntry, spans: BlockedSpans): boolean {
  const from = Date.parse(e.startedAt ?? e.at);
  const to = Date.parse(e.at);
  return (spans.get(e.pid) ?? []).some(([a, b]) => a <= to && b >= from);
}

/**
 * Overlapping pairs of executions of one (run, stage) that both returned: their count and the
 * longest, and the same for the pairs that no lost lock explains (neither execution's process had
 * its event loop blocked while it ran).
 */
export function overlaps(done: LedgerEntry[], spans: BlockedSpans): { n: number; longest: number; unexplained: number; longestUnexplained: number } {
  const r = { n: 0, longest: 0, unexplained: 0, longestUnexplained: 0 };
  const runs = done.filter((e) => e.startedAt).map((e) => ({ from: Date.parse(e.startedAt!), to: Date.parse(e.at), lost: cutOff(e, spans) }));
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      const o = Math.min(runs[i]!.to, runs[j]!.to) - Math.max(runs[i]!.from, runs[j]!.from);
      if (o <= 0) continue;
      r.n++;
      r.longest = Math.max(r.longest, o);
      if (!runs[i]!.lost && !runs[j]!.lost) {
        r.unexplained++;
        r.longestUnexplained = Math.max(r.longestUnexplained, o);
      }
    }
  }
  return r;
}

/**
 * Checks the issue's invariants for one executed sequence from the run documents (GET /v1/runs/:id),
 * their event streams, the side-effect ledger and the fleet metrics.
 */
export async function checkSequence(m: ModelStack, trace: SequenceTrace, retriesBefore: number, retriesAfter: () => Promise<number>): Promise<SequenceVerdict> {
  const v: string[] = [];
  const ids = [...trace.runs.keys()];
  const settleStarted = Date.now();
  const views = await settle(m, ids, 90_000);
  const settleMs = Date.now() - settleStarted;
  // A late zombie (a job nobody wants any more) would start after the runs look settled.
  await sleep(2 * 3000);
  const ledger = Ledger.read(m.stack.ledgerFile);
  const events = await readEvents(m.stack, ids);
  const verdict: SequenceVerdict = { violations: v, runs: ids.length, executions: 0, reexecutions: ledger.reexecutions(new Set(ids)), overlaps: 0, longestOverlapMs: 0, deletedByRetention: 0, retryEvents: 0, settleMs };

  for (const [key, runs] of trace.keys) {
    if (runs.size > 1) v.push(`idempotency key ${key} yielded ${runs.size} runs: ${[...runs].join(', ')}`);
  }
  const spans = blockedSpans(trace.runs.values(), ledger.starts);
  for (const t of trace.runs.values()) {
    const view = views.get(t.id);
    const history: RunEvent[] = events.get(t.id) ?? [];
    if (view === undefined) v.push(`run ${t.id}: never answered GET while settling`);
    else if (view === null) {
      verdict.deletedByRetention++;
      const lastAge = t.actions.findLastIndex((a) => a.kind === 'age');
      if (lastAge < 0) v.push(`run ${t.id}: accepted, then gone (404) without ever being due for retention`);
      else if (t.actions.slice(lastAge + 1).some((a) => a.kind === 'retry' || a.kind === 'resume')) {
        v.push(`run ${t.id}: retention deleted it after a retry/resume was acknowledged (it was not finished)`);
      }
    } else {
      if (!stable(view.status)) {
        const stages = view.stages.map((s) => `${s.name}=${s.status}${s.waitingReason ? ` (${s.waitingReason})` : ''}`).join(' ');
        v.push(`run ${t.id}: stuck ${view.status} after 90 s: ${stages}`);
      }
      for (const s of view.stages) {
        if (s.attempts > t.maxAttempts) v.push(`run ${t.id} stage ${s.name}: ${s.attempts} attempts used, maxAttempts ${t.maxAttempts}`);
      }
    }
    const h = auditHistory(t.id, history);
    v.push(...h.doubleCommits, ...h.duplicateTransitions);
    // stage.retrying per dispatch: at most maxAttempts - 1.
    const dispatch = new Map<string, number>();
    const retrying = new Map<string, number>();
    for (const e of history) {
      if (e.type === 'stage.queued') dispatch.set(e.stage, e.dispatch);
      if (e.type === 'stage.retrying') {
        verdict.retryEvents++;
        const k = `${e.stage}#${dispatch.get(e.stage) ?? 0}`;
        retrying.set(k, (retrying.get(k) ?? 0) + 1);
      }
    }
    for (const [k, n] of retrying) {
      if (n > t.maxAttempts - 1) v.push(`run ${t.id} stage ${k}: ${n} retry events, maxAttempts ${t.maxAttempts}`);
    }

    const starts = ledger.starts.filter((e) => e.runId === t.id);
    for (const s of starts) {
      if (s.attempt > t.maxAttempts) v.push(`run ${t.id} stage ${s.stage}: attempt ${s.attempt} started, maxAttempts ${t.maxAttempts}`);
    }
    for (const w of closedWindows(t)) {
      for (const s of starts) {
        const at = Date.parse(s.at);
        if (at > w.from + START_SLACK_MS && at < w.to) {
          v.push(`run ${t.id} stage ${s.stage} attempt ${s.attempt}: started on ${s.agentId} ${at - w.from} ms after the ${w.kind} was acknowledged`);
        }
      }
    }
    for (const stage of t.stages) {
      const done = ledger.of(t.id, stage);
      verdict.executions += done.length;
      const o = overlaps(done, spans);
      verdict.overlaps += o.n;
      verdict.longestOverlapMs = Math.max(verdict.longestOverlapMs, o.longest);
      // An overlap is allowed only where a lost lock explains it (an execution whose agent's event
      // loop was blocked — by this stage or by a neighbour in another slot), and then only so long.
      if (o.unexplained > 0) v.push(`run ${t.id} stage ${stage}: ${o.unexplained} overlapping execution(s), longest ${o.longestUnexplained} ms (no lock was lost)`);
      if (o.longest > LOST_LOCK_OVERLAP_MS) v.push(`run ${t.id} stage ${stage}: executions overlapped ${o.longest} ms, more than ${LOST_LOCK_OVERLAP_MS} ms after a lost lock`);
    }
  }
  if (verdict.deletedByRetention === 0) {
    const after = await retriesAfter();
    if (after - retriesBefore !== verdict.retryEvents) {
      v.push(`baton_stage_retries_total rose by ${after - retriesBefore}, the runs have ${verdict.retryEvents} stage.retrying events`);
    }
  }
  v.push(...trace.unexpected);
  return verdict;
}
