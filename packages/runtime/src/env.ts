import { LogEnv, RedisEnv } from '@baton/platform';
import { DEFAULT_ARTIFACT_MAX_BYTES } from '@baton/contracts';
import { z } from 'zod';

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

/** Agent process configuration (see README "Configuration"). */
export const AgentEnv = RedisEnv.extend(LogEnv.shape).extend({
  BATON_AGENT_ID: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,127}$/i).optional(),
  BATON_AGENT_CONCURRENCY: z.coerce.number().int().min(1).max(1000).optional(),
  BATON_HEARTBEAT_MS: int(2000, 100),
  /** How long a draining/stopping agent waits for its tasks before handing them back to the queue. */
  BATON_DRAIN_GRACE_MS: int(30_000),
  /** How long an aborted handler gets to return before the runtime gives up on it. */
  BATON_ABORT_GRACE_MS: int(5000),
  BATON_LOCK_DURATION_MS: int(20_000, 1000),
  BATON_STALLED_INTERVAL_MS: int(10_000, 500),
  /** Times a job may be recovered after its agent died before it fails with AGENT_LOST. */
  BATON_MAX_STALLED: int(5, 0),
  /** Main event loop blocked this many lock durations: the heartbeat thread kills the process (SIGKILL; 0: never). */
  BATON_WEDGED_EXIT_LOCKS: int(3, 0),
  /** A handler still running this long after the runtime gave up on it makes the agent exit 76 (0: never). */
  BATON_ABANDONED_EXIT_MS: int(60_000, 0),
  /** The whole stop after SIGTERM/SIGINT is bounded: past this the process exits 77 (default: drain + abort grace + 30 s). */
  BATON_STOP_TIMEOUT_MS: z.coerce.number().int().min(1000).optional(),
  /** Deaf-worker watchdog: jobs ready this long, a slot free, none taken -> reconnect the worker (0: off). */
  BATON_WORKER_WATCHDOG_MS: int(30_000, 0),
  /** Data directory; artifacts go to <dir>/artifacts unless BATON_ARTIFACT_DIR says otherwise. */
  BATON_DATA_DIR: z.string().default('.baton/data'),
  BATON_ARTIFACT_DIR: z.string().optional(),
  BATON_ARTIFACT_MAX_BYTES: int(DEFAULT_ARTIFACT_MAX_BYTES, 1),
  /** When set, serve this process's metrics and /health on this port + NODE_APP_INSTANCE. */
  BATON_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  BATON_METRICS_HOST: z.string().default('0.0.0.0'),
});
export type AgentEnv = z.infer<typeof AgentEnv>;
