import { appendFileSync } from 'node:fs';

export interface LedgerEntry {
  runId: string;
  stage: string;
  attempt: number;
  jobId: string;
  agentId: string;
  pid: number;
  at: string;
}

/**
 * The side effect the chaos battery counts: one line per execution, appended (O_APPEND: lines from
 * several processes never interleave). Keyed by (run, stage, attempt), a repeated key is an
 * execution that ran twice.
 */
export function recordExecution(file: string | undefined, entry: LedgerEntry): void {
  if (file) appendFileSync(file, `${JSON.stringify(entry)}\n`);
}
