import { z } from 'zod';
import { Labels, PipelineName } from './names.js';
import { StoredSecretRef } from './triggers.js';

/** What a subscription can be told about. */
export const NotificationEvent = z.enum(['run.succeeded', 'run.failed', 'run.cancelled', 'run.waiting', 'stage.failed']);
export type NotificationEvent = z.infer<typeof NotificationEvent>;

export const NotificationTarget = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('webhook'),
      url: z.url({ protocol: /^https?$/ }).max(2000),
      /** The HMAC-SHA256 key of `X-Baton-Signature` (a reference: the secret stays in the environment). */
      secret: StoredSecretRef,
    })
    .strict(),
  z.object({ type: z.literal('slack'), url: z.url({ protocol: /^https?$/ }).max(2000) }).strict(),
]);
export type NotificationTarget = z.infer<typeof NotificationTarget>;

export const NotificationRequest = z
  .object({
    events: z.array(NotificationEvent).min(1),
    /** Only runs of these pipelines (all when absent). */
    pipelines: z.array(PipelineName).max(100).optional(),
    /** Only runs carrying all of these labels. */
    labels: Labels.optional(),
    target: NotificationTarget,
    /** Base URL of the dashboard, for links to the run page (default: none). */
    dashboardUrl: z.url({ protocol: /^https?$/ }).max(500).optional(),
  })
  .strict();
export type NotificationRequest = z.infer<typeof NotificationRequest>;

export const NotificationView = z.object({
  name: z.string(),
  events: z.array(NotificationEvent),
  pipelines: z.array(PipelineName).nullable(),
  labels: Labels.nullable(),
  /** The target with its URL reduced to its origin (a Slack webhook URL is itself a secret). */
  target: z.object({ type: z.enum(['webhook', 'slack']), origin: z.string(), secretEnv: z.string().nullable() }),
  dashboardUrl: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type NotificationView = z.infer<typeof NotificationView>;
export const NotificationList = z.object({ items: z.array(NotificationView) });
export type NotificationList = z.infer<typeof NotificationList>;

export const NotificationDelivery = z.object({
  deliveryId: z.string(),
  event: NotificationEvent,
  runId: z.string(),
  stage: z.string().nullable(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.int(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type NotificationDelivery = z.infer<typeof NotificationDelivery>;
export const NotificationDeliveryList = z.object({ items: z.array(NotificationDelivery) });
export type NotificationDeliveryList = z.infer<typeof NotificationDeliveryList>;

/** The JSON body of a webhook notification (signed: see README "Notifications"). */
export const NotificationBody = z.object({
  deliveryId: z.string(),
  subscription: z.string(),
  event: NotificationEvent,
  at: z.string(),
  run: z.object({
    id: z.string(),
    pipeline: z.string(),
    status: z.string(),
    labels: Labels,
    url: z.string().nullable(),
  }),
  stage: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type NotificationBody = z.infer<typeof NotificationBody>;
