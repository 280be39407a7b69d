import { existsSync, readFileSync } from 'node:fs';
import type { LedgerEntry } from '@baton/agent-noop';

export type { LedgerEntry };

/**
 * The side-effect ledger: every line the noop agents appended. Keyed by (run, stage, job, attempt), a key
 * seen more than once is an execution that happened twice — expected (at-least-once delivery) when
 * the first executor died or lost its lock before completing; what must never happen twice is the
 * commit, which the run's events show.
 */
export class Ledger {
  private readonly byStageKey = new Map<string, LedgerEntry[]>();
  private readonly byAttemptKey = new Map<string, number>();
  /** Executions that returned (the side effect happened). */
  readonly entries: LedgerEntry[];
  /** Handler starts (`phase: 'start'` lines), whether the execution returned or not. */
  readonly starts: LedgerEntry[];

  constructor(lines: LedgerEntry[]) {
    this.entries = lines.filter((e) => e.phase !== 'start');
    this.starts = lines.filter((e) => e.phase === 'start');
    for (const e of this.entries) {
      const k = `${e.runId}|${e.stage}`;
      const list = this.byStageKey.get(k) ?? [];
      list.push(e);
      this.byStageKey.set(k, list);
      // By job too: the items of a fan-out stage share (run, stage, attempt) but are distinct jobs.
      const a = `${k}|${e.jobId}|${e.attempt}`;
      this.byAttemptKey.set(a, (this.byAttemptKey.get(a) ?? 0) + 1);
    }
  }

  /** Reads the ledger file (a missing file is an empty ledger; a torn last line is ignored). */
  static read(file: string): Ledger {
    if (!existsSync(file)) return new Ledger([]);
    const entries: LedgerEntry[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        entries.push(JSON.parse(line) as LedgerEntry);
      } catch {
        // a line cut short by kill -9 mid-write: not an execution that returned
      }
    }
    return new Ledger(entries);
  }

  /** Executions of a stage of a run, in ledger order. */
  of(runId: string, stage: string): LedgerEntry[] {
    return this.byStageKey.get(`${runId}|${stage}`) ?? [];
  }

  /** Extra executions: for every (run, stage, attempt) executed n > 1 times, n - 1. */
  reexecutions(runIds?: ReadonlySet<string>): number {
    let n = 0;
    for (const [k, count] of this.byAttemptKey) {
      if (runIds && !runIds.has(k.slice(0, k.indexOf('|')))) continue;
      n += count - 1;
    }
    return n;
  }
}
