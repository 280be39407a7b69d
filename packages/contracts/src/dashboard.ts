import { z } from 'zod';
import { Role } from './auth.js';
import { AgentType } from './names.js';

/** GET /v1/whoami: who the caller is, and which routes (`METHOD /template`) its role may call. */
export const Whoami = z.object({
  name: z.string(),
  role: Role,
  keyId: z.string().nullable(),
  /** `disabled`: authentication is off (dev stack), everyone acts as admin. */
  auth: z.enum(['required', 'disabled']),
  /** How this request was authenticated. */
  via: z.enum(['header', 'session', 'none']),
  /** Route templates of the permission table this role may call, e.g. `POST /v1/runs/:id/cancel`. */
  allowed: z.array(z.string()),
});
export type Whoami = z.infer<typeof Whoami>;

/** Body of POST /v1/session is empty: the key travels in the Authorization header, once. */
export const SessionCreated = Whoami.extend({ expiresAt: z.string() });
export type SessionCreated = z.infer<typeof SessionCreated>;

/** An SSE `changed` event of GET /v1/runs/changes: runs that changed since the previous event (a doorbell). */
export const RunChanges = z.object({ runIds: z.array(z.string()), more: z.boolean() });
export type RunChanges = z.infer<typeof RunChanges>;

/** GET /v1/queues/throughput: cumulative finished-stage counters per agent type (the UI derives rates). */
export const QueueThroughput = z.object({
  at: z.string(),
  items: z.array(
    z.object({
      type: AgentType,
      /** Stages finished since the counters began, by outcome (succeeded, failed, cancelled, ...). */
      finished: z.record(z.string(), z.int().nonnegative()),
      retries: z.int().nonnegative(),
    }),
  ),
});
export type QueueThroughput = z.infer<typeof QueueThroughput>;
