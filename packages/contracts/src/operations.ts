import { z } from 'zod';
import { AgentType } from './names.js';

/** Answer to POST /v1/agents/:id/drain and /restart: the control message was queued for the agent. */
export const AgentCommandAccepted = z.object({
  agentId: z.string(),
  type: AgentType,
  action: z.enum(['drain', 'restart']),
  /** Id of the control message in the agent type's control stream. */
  messageId: z.string(),
});
export type AgentCommandAccepted = z.infer<typeof AgentCommandAccepted>;

/** A rolling drain of every agent of one type, one at a time (advanced by the reconciler). */
export const FleetDrain = z.object({
  type: AgentType,
  status: z.enum(['running', 'done']),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  /** How many agents of the type were alive when the drain started; each replacement must bring it back. */
  baseline: z.int().nonnegative(),
  pending: z.array(z.string()),
  current: z.string().nullable(),
  currentSince: z.string().nullable(),
  /** When the current agent left the registry (waiting for its replacement since). */
  currentGoneAt: z.string().nullable(),
  done: z.array(z.string()),
  notes: z.array(z.string()),
});
export type FleetDrain = z.infer<typeof FleetDrain>;

export const QueueView = z.object({
  type: AgentType,
  paused: z.boolean(),
  waiting: z.int(),
  active: z.int(),
  delayed: z.int(),
  failed: z.int(),
  /** Of `waiting`, the jobs in BullMQ's prioritized set (every stage job carries its run's priority). */
  prioritized: z.int(),
  /** Waiting jobs by run priority ("10" highest); priorities with none are left out. */
  byPriority: z.record(z.string(), z.int()).optional(),
  agentsAlive: z.int(),
});
export type QueueView = z.infer<typeof QueueView>;

export const QueueList = z.object({ items: z.array(QueueView) });
export type QueueList = z.infer<typeof QueueList>;
