import { appendFileSync } from 'node:fs';

export interface LedgerEntry {
  runId: string;
  stage: string;
  attempt: number;
  jobId: string;
  agentId: string;
  pid: number;
  /** When the execution returned (its side effect happened). */
  at: string;
  /** When the handler started (absent in ledgers written before it was recorded). */
  startedAt?: string;
  /** `start` marks the line written as the handler begins; an execution that returned has no phase. */
  phase?: 'start';
}

/**
 * The side effect the chaos battery counts: one line per execution, appended (O_APPEND: lines from
 * several processes never interleave). Keyed by (run, stage, attempt), a repeated key is an
 * execution that ran twice.
 */
export function recordExecution(file: string | undefined, entry: LedgerEntry): void {
  if (file) appendFileSync(file, `${JSON.stringify(entry)}\n`);
}
