import { z } from 'zod';
import { JsonValue } from './json.js';
import { PipelineName, RunId } from './names.js';

/** Names of triggers, schedules and notification subscriptions (they appear in URLs and Redis keys). */
export const HookName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'lowercase letters, digits and "-", starting with a letter, at most 63 characters');
export type HookName = z.infer<typeof HookName>;

/**
 * Where a secret lives. `env` names an environment variable of the orchestrator processes
 * (`BATON_SECRET_<NAME>`, read at start-up): Redis never holds the secret. `value` is accepted only
 * where comparing a hash suffices (a GitLab token): Redis then holds its sha256, never the value.
 */
export const StoredSecretRef = z.union([
  z.object({ env: z.string().regex(/^BATON_SECRET_[A-Z0-9_]{1,64}$/, 'an environment variable named BATON_SECRET_<NAME>') }).strict(),
  z.object({ value: z.string().min(16, 'at least 16 characters').max(512) }).strict(),
]);
export type StoredSecretRef = z.infer<typeof StoredSecretRef>;

/** Glob patterns: `*` matches within one path segment, `**` across segments. */
const Globs = z.array(z.string().min(1).max(200)).max(50);

export const TriggerFilter = z
  .object({
    /** Normalised event kinds (`push`, `tag`, `pull_request`) or the provider's own event names. */
    events: z.array(z.string().min(1).max(100)).max(50).optional(),
    branches: Globs.optional(),
    tags: Globs.optional(),
    /** Repository full names (`owner/name`, GitLab `group/project`). */
    repositories: Globs.optional(),
    /** pull_request actions (`opened`, `synchronize`, GitLab `open`, `update`, …). */
    actions: z.array(z.string().min(1).max(50)).max(20).optional(),
  })
  .strict();
export type TriggerFilter = z.infer<typeof TriggerFilter>;

/**
 * Values of a run's input and labels. A string may hold `{path}` placeholders over the delivery
 * context (`event`, `deliveryId`, `repository`, `cloneUrl`, `branch`, `tag`, `sha`, `pusher`,
 * `pullRequest`, `action`, `payload.<any field>`); a string that is exactly one placeholder takes
 * the field's JSON value. Anything else is used as given.
 */
export const TriggerMapping = z
  .object({
    input: z.record(z.string(), JsonValue).default({}),
    labels: z.record(z.string(), z.string().max(256)).default({}),
  })
  .strict();
export type TriggerMapping = z.infer<typeof TriggerMapping>;

export const TriggerRequest = z
  .object({
    source: z.enum(['github', 'gitlab', 'generic']),
    secret: StoredSecretRef,
    pipeline: PipelineName,
    version: z.int().positive().optional(),
    filter: TriggerFilter.default({}),
    mapping: TriggerMapping.default({ input: {}, labels: {} }),
  })
  .strict();
export type TriggerRequest = z.infer<typeof TriggerRequest>;

/** How a trigger's secret is stored, as shown (never the secret itself). */
export const SecretInfo = z.object({ kind: z.enum(['env', 'sha256']), env: z.string().optional() });

export const TriggerView = z.object({
  name: HookName,
  source: z.enum(['github', 'gitlab', 'generic']),
  secret: SecretInfo,
  pipeline: PipelineName,
  version: z.int().positive().nullable(),
  filter: TriggerFilter,
  mapping: TriggerMapping,
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The webhook URL path to configure at the provider. */
  hookPath: z.string(),
});
export type TriggerView = z.infer<typeof TriggerView>;

export const HookDelivery = z.object({
  deliveryId: z.string(),
  event: z.string(),
  at: z.string(),
  outcome: z.enum(['started', 'replayed', 'ignored', 'failed']),
  runId: RunId.nullable(),
  reason: z.string().nullable(),
});
export type HookDelivery = z.infer<typeof HookDelivery>;

export const TriggerDetail = TriggerView.extend({ deliveries: z.array(HookDelivery) });
export type TriggerDetail = z.infer<typeof TriggerDetail>;
export const TriggerList = z.object({ items: z.array(TriggerView) });
export type TriggerList = z.infer<typeof TriggerList>;

/** The answer to a webhook delivery. */
export const HookResponse = z.union([
  z.object({ deliveryId: z.string(), runId: RunId, created: z.boolean() }),
  z.object({ deliveryId: z.string(), ignored: z.string() }),
]);
export type HookResponse = z.infer<typeof HookResponse>;
