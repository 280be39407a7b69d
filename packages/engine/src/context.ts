import type { Keys, SecretScopes } from '@baton/contracts';
import type { ArtifactStore, RedisClient } from '@baton/platform';
import type { Logger } from '@baton/platform';
import type { CommitLanes } from './commit-lane.js';
import type { AgentQueues } from './queues.js';
import type { RunStore } from './store/run-store.js';

export interface EngineConfig {
  /** Capped length of each run's events stream. */
  eventsMaxLen: number;
  /** How long BullMQ keeps a finished job if no orchestrator removes it. */
  jobRetentionSeconds: number;
  /** How often every orchestrator looks for finished jobs whose doorbell it missed. */
  sweepIntervalMs: number;
  /** How often the reconciler (one instance at a time) converges every active run. */
  reconcileIntervalMs: number;
  /** A queued/running stage whose job is missing is re-dispatched only after this long. */
  repairGraceMs: number;
  /** Finished runs older than this are deleted. */
  runRetentionMs: number;
  /** At most this many finished runs are kept (oldest deleted first). */
  runRetentionCount: number;
  /** Idempotency-Key lifetime. */
  idempotencyTtlMs: number;
  /** Dead agents stay listed this long. */
  deadAgentRetentionMs: number;
  /**
   * Replicas that must hold a new run before it is acknowledged (Redis `WAIT`); 0 = don't wait.
   * With replicas (Sentinel, Cluster) set 1 so a failover never loses an accepted run.
   */
  acceptReplicas: number;
  /** How long to wait for them; then the submission answers 503 and the client retries. */
  acceptReplicasTimeoutMs: number;
  /**
   * The artifact GC deletes a file nothing references only when no writer touched it for this
   * long: a writer touches the bytes before it records its reference, so a file being referenced
   * at that moment is kept (see collectArtifactGarbage). Far above any put-then-record gap and
   * any clock skew between the hosts sharing the artifact volume.
   */
  artifactGcGraceMs?: number;
  /** Acknowledge a new run only once Redis fsynced it to its AOF (`WAITAOF`, Redis >= 7.2; checked at start-up). */
  acceptFsync?: boolean;
  /** Largest job envelope (a stage's resolved input plus upstream outputs): refused at submit when the input shows it, else the stage fails with STAGE_INPUT_TOO_LARGE. */
  maxStageInputBytes: number;
  /** All stages' resolved inputs of one run together, as far as they are known at submit. */
  maxRunInputBytes: number;
  /** Active (not finished) runs one API key may have; 0 = no cap. */
  maxActiveRunsPerKey: number;
  /** BATON_SECRET_*_SCOPE declarations: a secret without one is never accepted in a request. */
  secretScopes: SecretScopes;
}

export const DEFAULT_ENGINE_CONFIG: EngineConfig = {
  eventsMaxLen: 2000,
  jobRetentionSeconds: 7 * 24 * 3600,
  sweepIntervalMs: 1000,
  reconcileIntervalMs: 5000,
  repairGraceMs: 5000,
  runRetentionMs: 7 * 24 * 3600 * 1000,
  runRetentionCount: 10_000,
  idempotencyTtlMs: 24 * 3600 * 1000,
  deadAgentRetentionMs: 3600 * 1000,
  acceptReplicas: 0,
  acceptReplicasTimeoutMs: 1000,
  maxStageInputBytes: 1024 * 1024,
  maxRunInputBytes: 8 * 1024 * 1024,
  maxActiveRunsPerKey: 100,
  secretScopes: new Map(),
};

/** The dependency bag every engine system receives. */
export interface EngineContext {
  redis: RedisClient;
  keys: Keys;
  log: Logger;
  config: EngineConfig;
  store: RunStore;
  /** Group commit of job facts per run (commit-lane.ts). */
  lanes: CommitLanes;
  queues: AgentQueues;
  now: () => number;
  /** Where artifact files live (null: artifacts disabled in this process). */
  artifacts: ArtifactStore | null;
  /** Counts an event in the fleet-wide counters hash (outside a transition). */
  count: (field: string, n?: number) => void;
}
