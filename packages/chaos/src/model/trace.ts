/** What the harness did to one run and when the API acknowledged it (epoch ms on this host). */
export interface RunTrace {
  id: string;
  maxAttempts: number;
  stages: string[];
  /** Stages whose agent blocks its event loop past the lock duration (a lost lock is expected there). */
  blocking: Set<string>;
  key: string | null;
  /** Acknowledged operator actions, in order. `sentAt` is when the request left, `ackAt` when 200 came back. */
  actions: { kind: 'cancel' | 'pause' | 'resume' | 'retry' | 'age'; sentAt: number; ackAt: number }[];
}

/** Everything the invariants need from one executed sequence. */
export interface SequenceTrace {
  runs: Map<string, RunTrace>;
  /** Idempotency key → every run id a submission with it was answered with. */
  keys: Map<string, Set<string>>;
  /** Submissions a key answered with a refusal (409/410/422), by code. */
  keyRefusals: string[];
  /** Requests answered with something the API does not document for them. */
  unexpected: string[];
  startedAt: number;
  finishedAt: number;
}
