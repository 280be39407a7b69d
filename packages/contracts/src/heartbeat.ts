import { z } from 'zod';
import { AgentId, AgentType } from './names.js';

/** An agent's own view of its lifecycle. */
export const AgentState = z.enum(['starting', 'running', 'draining', 'stopping']);
export type AgentState = z.infer<typeof AgentState>;

/** Written by every agent process every few seconds (from a worker thread, so CPU-bound handlers don't stop it). */
export const AgentHeartbeat = z.object({
  protocol: z.int().positive(),
  id: AgentId,
  type: AgentType,
  host: z.string(),
  pid: z.int(),
  version: z.string(),
  concurrency: z.int().positive(),
  state: AgentState,
  /** Job ids the agent is working on. */
  active: z.array(z.string()),
  lastTaskAt: z.string().nullable(),
  startedAt: z.string(),
  beatAt: z.string(),
  /** Heartbeat interval the agent promised; liveness thresholds derive from it. */
  intervalMs: z.int().positive(),
  /** How long the agent's main event loop has been unresponsive, as seen by the heartbeat thread. */
  eventLoopBlockedMs: z.int().nonnegative(),
  /**
   * The main loop blocked this long makes the agent `wedged` (its job locks can no longer be renewed:
   * the agent's lock duration). Absent from older agents (never wedged for them).
   */
  wedgedAfterMs: z.int().positive().optional(),
  /**
   * When Redis took the last beat, in Redis's own clock (epoch ms). The registry derives it when it
   * reads the record, from the TTL Redis has left on it (a beat writes it with AGENT_RECORD_TTL_MS);
   * agents do not write it (older agents stamped it from TIME in a beat script). Liveness compares it
   * with Redis's clock, never the agent's, so hosts need not agree on the time.
   */
  seenAt: z.number().optional(),
  metricsPort: z.int().nullable(),
});
export type AgentHeartbeat = z.infer<typeof AgentHeartbeat>;

/**
 * alive: beating on time. stale: beats are late. dead: no beat for long (kept listed a while).
 * deaf: beating, free slots, but not taking tasks although its queue has waiting work.
 * draining: beating on time while draining or stopping (not taking tasks on purpose).
 * wedged: beating on time (from its heartbeat thread) while its main event loop has been blocked
 * longer than its lock duration: it renews no lock, runs no timeout, takes no task; the heartbeat
 * thread kills the process after BATON_WEDGED_EXIT_LOCKS lock durations.
 */
export const LIVENESS_STATES = ['alive', 'stale', 'dead', 'deaf', 'draining', 'wedged'] as const;
export const Liveness = z.enum(LIVENESS_STATES);
export type Liveness = z.infer<typeof Liveness>;

export const AgentView = AgentHeartbeat.extend({
  liveness: Liveness,
  lastSeenAgoMs: z.int().nonnegative(),
  compatible: z.boolean(),
  incompatibleReason: z.string().nullable(),
});
export type AgentView = z.infer<typeof AgentView>;

export const AgentList = z.object({ items: z.array(AgentView) });
export type AgentList = z.infer<typeof AgentList>;

/** Registration of an agent type (written on agent start), so user-defined agents are known to the orchestrator. */
export const AgentTypeRegistration = z.object({
  type: AgentType,
  protocol: z.int().positive(),
  version: z.string(),
  description: z.string(),
  inputSchema: z.unknown(),
  outputSchema: z.unknown(),
  registeredAt: z.string(),
});
export type AgentTypeRegistration = z.infer<typeof AgentTypeRegistration>;
