import { HookName, HookResponse, type HookDelivery } from '@baton/contracts';
import { errorMessage } from '@baton/platform';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import sjson from 'secure-json-parse';
import { z } from 'zod';
import { ApiError } from '../plugins/errors.js';
import { deliveryContext } from '../triggers/delivery-context.js';
import { deliveryIdentity } from '../triggers/delivery-identity.js';
import { mapDelivery } from '../triggers/payload-mapping.js';
import { filterMismatch } from '../triggers/trigger-filter.js';
import type { TriggerStore } from '../triggers/trigger-store.js';
import { MissingSecretError, verifyDelivery } from '../triggers/verify-delivery.js';

const REASONS = { missing: 'the delivery carries no signature', malformed: 'the signature header is malformed', mismatch: 'the signature does not match', stale: 'the signature timestamp is too old or in the future (replay refused)' } as const;

/**
 * `POST /v1/hooks/:name`: webhook deliveries. No API key: the provider's signature is the
 * credential (the permission table marks the route public). The signature is checked over the raw
 * body, so this plugin keeps the body as text. The delivery id is the run's idempotency key
 * (scoped to the trigger), so a redelivery — or ten at once — starts one run.
 */
export const hookRoutes =
  (store: TriggerStore, secrets: Readonly<Record<string, string>>): FastifyPluginAsyncZod =>
  async (app) => {
    const { engine } = app.baton;
    app.removeContentTypeParser(['application/json']);
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));

    app.post(
      '/v1/hooks/:name',
      {
        schema: {
          operationId: 'receiveHook',
          tags: ['triggers'],
          summary: 'Receive a webhook delivery (GitHub, GitLab or generic signed JSON): starts at most one run per delivery id',
          description:
            'Authenticated by the delivery\'s signature, not an API key: GitHub `X-Hub-Signature-256`, GitLab `X-Gitlab-Token`, or `X-Baton-Signature: t=<unix>,v1=<hmac>` (generic). The delivery id (`X-GitHub-Delivery`, GitLab `Idempotency-Key`, `X-Baton-Delivery`) is the idempotency key. A delivery no filter admits is answered 202 with `{"ignored": reason}`.',
          params: z.object({ name: HookName }).strict(),
          response: { 200: HookResponse, 202: HookResponse },
          errors: ['UNAUTHORIZED', 'NOT_FOUND', 'INVALID_REQUEST', 'PIPELINE_NOT_FOUND', 'IDEMPOTENCY_CONFLICT', 'IDEMPOTENCY_RUN_DELETED', 'SECRET_SCOPE_DENIED', 'STAGE_INPUT_TOO_LARGE', 'TOO_MANY_ACTIVE_RUNS', 'APP_NOT_OWNED'],
        },
      },
      async (req, reply) => {
        const trigger = await store.get(req.params.name);
        if (!trigger) throw new ApiError('NOT_FOUND', `no trigger "${req.params.name}"`);
        const raw = typeof req.body === 'string' ? req.body : '';
        let check;
        try {
          check = verifyDelivery(trigger, secrets, raw, req.headers, Date.now() / 1000);
        } catch (e: unknown) {
          if (!(e instanceof MissingSecretError)) throw e;
          req.log.error({ trigger: trigger.name, env: e.env }, 'trigger secret not configured');
          throw new ApiError('INTERNAL', e.message);
        }
        if (!check.ok) {
          req.log.warn({ trigger: trigger.name, reason: check.reason }, 'webhook delivery refused');
          throw new ApiError('UNAUTHORIZED', REASONS[check.reason]);
        }
        const { event, deliveryId } = deliveryIdentity(trigger.source, req.headers);
        if (!event || !deliveryId) throw new ApiError('INVALID_REQUEST', 'the delivery carries no event type or delivery id header');
        if (deliveryId.length > 200) throw new ApiError('INVALID_REQUEST', 'the delivery id is longer than 200 characters');
        let payload: unknown;
        try {
          payload = raw.trim() === '' ? {} : sjson.parse(raw, { protoAction: 'error', constructorAction: 'error' });
        } catch (e: unknown) {
          throw new ApiError('INVALID_REQUEST', `body is not valid JSON: ${errorMessage(e)}`);
        }
        const ctx = deliveryContext(trigger.source, event, deliveryId, payload);
        const at = new Date().toISOString();
        const record = (d: Omit<HookDelivery, 'deliveryId' | 'event' | 'at'>) =>
          store.recordDelivery(trigger.name, { deliveryId, event: ctx.event, at, ...d }).catch((err: unknown) => req.log.warn({ err: errorMessage(err) }, 'could not record the delivery'));
        const ignored = filterMismatch(trigger.filter, ctx);
        if (ignored) {
          await record({ outcome: 'ignored', runId: null, reason: ignored });
          return reply.code(202).send({ deliveryId, ignored });
        }
        const { input, labels } = mapDelivery(trigger.mapping, ctx);
        try {
          const { doc, created } = await engine.submit(
            { pipeline: trigger.pipeline, ...(trigger.version !== null ? { version: trigger.version } : {}), input, labels: { trigger: trigger.name, ...labels } },
            deliveryId,
            `trigger:${trigger.name}`,
            trigger.definedBy,
          );
          await record({ outcome: created ? 'started' : 'replayed', runId: doc.id, reason: null });
          if (created) req.log.info({ trigger: trigger.name, deliveryId, runId: doc.id }, 'webhook delivery started a run');
          return reply.code(created ? 202 : 200).send({ deliveryId, runId: doc.id, created });
        } catch (e: unknown) {
          await record({ outcome: 'failed', runId: null, reason: errorMessage(e).slice(0, 500) });
          throw e;
        }
      },
    );
  };
