/** What the harness did to one run and when the API acknowledged it (epoch ms on this host). */
export interface RunTrace {
  id: string;
  maxAttempts: number;
  stages: string[];
  /**
   * Stages whose handler blocks its agent's event loop for at least half the lock duration, with
   * that block in ms: the agent process misses lock renewals meanwhile, so every execution on it at
   * that time (this stage's and its neighbours' in other slots) may lose its lock.
   */
  blocking: Map<string, number>;
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
