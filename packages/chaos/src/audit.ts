import { TERMINAL_RUN_STATUSES, type RunEvent, type RunView } from '@baton/contracts';
import { api } from './api.js';
import { Ledger } from './ledger.js';
import type { ChaosStack } from './stack.js';
import { sleep } from './stats.js';
import type { AcceptedRun } from './submitter.js';

/** What the accepted runs' final state, event history and the side-effect ledger say. */
export interface RunAudit {
  accepted: number;
  succeeded: number;
  /** Accepted runs that vanished (404) or never finished by the deadline. */
  lost: string[];
  /** Accepted runs that finished other than succeeded (the noop stages never fail on their own). */
  failed: string[];
  /** A (stage, dispatch) with more than one stage.succeeded / stage.failed event. */
  doubleCommits: string[];
  /** Any once-only event (run.created/started/finished, stage.queued/skipped/cancelled) seen twice. */
  duplicateTransitions: string[];
  /** A succeeded run with a stage that has no commit at all. */
  missingCommits: string[];
  /** A committed result no ledger execution of the committing agent accounts for. */
  commitsWithoutExecution: string[];
  /** Runs in the namespace a client never got a 202 for (a retried submission that made a second run). */
  unannounced: number;
  stageCommits: number;
  executions: number;
  /** Extra executions of the same (run, stage, attempt) — at-least-once delivery at work. */
  reexecutions: number;
  /** From the end of the faults until every accepted run had finished. */
  settleMs: number;
  ledger: Ledger;
  views: Map<string, RunView>;
}

/** Events that a correct engine emits at most once per run (or per stage dispatch). */
const ONCE = new Set(['run.created', 'run.started', 'run.succeeded', 'run.failed', 'run.cancelled', 'stage.queued', 'stage.skipped', 'stage.cancelled']);

/** Waits (up to `timeoutMs`) for every accepted run to finish, then audits them. */
export async function settleAndAudit(stack: ChaosStack, runs: readonly AcceptedRun[], timeoutMs: number): Promise<RunAudit> {
  const started = Date.now();
  const { views, missing } = await settle(stack, runs.map((r) => r.id), timeoutMs);
  const settleMs = Date.now() - started;
  const ledger = Ledger.read(stack.ledgerFile);
  const audit: RunAudit = {
    accepted: runs.length,
    succeeded: 0,
    lost: [],
    failed: [],
    doubleCommits: [],
    duplicateTransitions: [],
    missingCommits: [],
    commitsWithoutExecution: [],
    unannounced: (await stack.db.zcard(stack.keys.runsByCreated())) - runs.length,
    stageCommits: 0,
    executions: 0,
    reexecutions: ledger.reexecutions(new Set(runs.map((r) => r.id))),
    settleMs,
    ledger,
    views,
  };
  const events = await readEvents(stack, runs.map((r) => r.id));
  for (const run of runs) {
    const view = views.get(run.id);
    if (!view) {
      audit.lost.push(missing.has(run.id) ? `${run.id}: gone (404)` : `${run.id}: not finished after ${Math.round(timeoutMs / 1000)} s`);
    } else if (!TERMINAL_RUN_STATUSES.has(view.status)) {
      audit.lost.push(`${run.id}: still ${view.status} (${view.stages.map((s) => `${s.name}=${s.status}`).join(' ')})`);
    } else if (view.status === 'succeeded') {
      audit.succeeded++;
    } else {
      audit.failed.push(`${run.id}: ${view.status} ${view.error ? `${view.error.code} ${view.error.message}` : ''}`.trim());
    }
    const h = auditHistory(run.id, events.get(run.id) ?? []);
    audit.stageCommits += h.commits;
    audit.doubleCommits.push(...h.doubleCommits);
    audit.duplicateTransitions.push(...h.duplicateTransitions);
    if (view?.status === 'succeeded') {
      for (const s of view.stages) {
        if (!h.committed.has(s.name)) audit.missingCommits.push(`${run.id} stage ${s.name}: succeeded run without a commit event`);
        const executions = ledger.of(run.id, s.name);
        audit.executions += executions.length;
        // An approval gate runs on no agent; a fan-out stage's items each have their own (checked by the fan-out scenario).
        const ranOnAgent = s.approval === undefined && s.waitFor === undefined && s.items === undefined;
        if (ranOnAgent && s.status === 'succeeded' && !executions.some((e) => e.agentId === s.agentId)) {
          audit.commitsWithoutExecution.push(`${run.id} stage ${s.name}: committed from ${s.agentId ?? 'unknown'}, which has no execution in the ledger`);
        }
      }
    }
  }
  return audit;
}

/** What one run's event history says about commits and once-only transitions. */
export interface HistoryAudit {
  /** Stages with at least one commit (stage.succeeded / stage.failed). */
  committed: Set<string>;
  commits: number;
  doubleCommits: string[];
  duplicateTransitions: string[];
}

/** Audits one run's events: commits per (stage, dispatch), and once-only events seen twice. */
export function auditHistory(runId: string, history: readonly RunEvent[]): HistoryAudit {
  const dispatch = new Map<string, number>();
  const seen = new Map<string, number>();
  const out: HistoryAudit = { committed: new Set(), commits: 0, doubleCommits: [], duplicateTransitions: [] };
  // A retry reopens a finished run: its transitions (run started/succeeded/failed, stage cancelled/skipped) may happen once more.
  let retries = 0;
  for (const e of history) {
    let key: string | null = null;
    if (e.type === 'run.retried') retries++;
    if (e.type === 'stage.queued') dispatch.set(e.stage, e.dispatch);
    if (e.type === 'stage.succeeded' || e.type === 'stage.failed') {
      key = `commit ${e.stage}#${dispatch.get(e.stage) ?? 0}`;
      out.committed.add(e.stage);
      out.commits++;
    } else if (ONCE.has(e.type)) {
      // A stage a retry sends back to pending (never dispatched: dispatch 0) may be cancelled or skipped again.
      const after = retries > 0 && e.type !== 'run.created' ? ` (after ${retries} retries)` : '';
      key = 'stage' in e ? `${e.type} ${e.stage}#${dispatch.get(e.stage) ?? 0}${after}` : `${e.type}${after}`;
    }
    if (key) seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  for (const [key, n] of seen) {
    if (n < 2) continue;
    if (key.startsWith('commit ')) out.doubleCommits.push(`${runId} ${key.slice(7)} committed ${n} times`);
    else out.duplicateTransitions.push(`${runId} ${key} ${n} times`);
  }
  return out;
}

/** Polls GET /v1/runs/:id until every run is terminal or the deadline passes. */
async function settle(stack: ChaosStack, ids: string[], timeoutMs: number): Promise<{ views: Map<string, RunView>; missing: Set<string> }> {
  const views = new Map<string, RunView>();
  const missing = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  let pending = ids;
  for (;;) {
    const next: string[] = [];
    let i = 0;
    const worker = async () => {
      while (i < pending.length) {
        const id = pending[i++]!;
        try {
          const res = await api<RunView>(stack.url(), 'GET', `/v1/runs/${id}`);
          if (res.status === 200) {
            views.set(id, res.body);
            missing.delete(id);
            if (TERMINAL_RUN_STATUSES.has(res.body.status)) continue;
          } else if (res.status === 404) {
            missing.add(id);
          }
        } catch {
          // orchestrator restarting: ask again
        }
        next.push(id);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    pending = next;
    if (pending.length === 0 || Date.now() > deadline) break;
    await sleep(500);
  }
  return { views, missing };
}

/** Every run's events, read from its stream in Redis. */
export async function readEvents(stack: ChaosStack, ids: string[]): Promise<Map<string, RunEvent[]>> {
  const out = new Map<string, RunEvent[]>();
  for (let i = 0; i < ids.length; i += 200) {
    const batch = ids.slice(i, i + 200);
    const pipe = stack.db.pipeline();
    for (const id of batch) pipe.xrange(stack.keys.runEvents(id), '-', '+');
    const results = (await pipe.exec()) ?? [];
    batch.forEach((id, j) => {
      const [err, entries] = results[j] ?? [new Error('no reply'), null];
      if (err) throw err;
      out.set(
        id,
        (entries as [string, string[]][]).map(([, fields]) => JSON.parse(fields[fields.indexOf('event') + 1]!) as RunEvent),
      );
    });
  }
  return out;
}

/** The audit's invariant violations, each with a few examples. */
export function auditViolations(a: RunAudit): string[] {
  const out: string[] = [];
  const add = (list: string[], what: string) => {
    if (list.length > 0) out.push(`${list.length} ${what}: ${list.slice(0, 5).join('; ')}${list.length > 5 ? '; …' : ''}`);
  };
  add(a.lost, 'accepted run(s) lost');
  add(a.failed, 'accepted run(s) did not succeed');
  add(a.doubleCommits, 'stage(s) committed more than once');
  add(a.duplicateTransitions, 'duplicate transition(s)');
  add(a.missingCommits, 'succeeded stage(s) without a commit');
  add(a.commitsWithoutExecution, 'commit(s) without an execution');
  if (a.unannounced !== 0) out.push(`${a.unannounced} run(s) exist that no client was given a 202 for (a retried or refused submission created a run)`);
  return out;
}
