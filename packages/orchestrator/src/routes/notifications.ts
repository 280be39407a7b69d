import { HookName, NotificationDelivery, NotificationDeliveryList, NotificationList, NotificationRequest, NotificationView } from '@baton/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { redeliver } from '../notifications/delivery-worker.js';
import { notificationView } from '../notifications/notification-store.js';
import { NoContent } from '../openapi/components.js';
import { ApiError } from '../plugins/errors.js';
import { NoQuery } from './no-query.js';
import { checkSecretRef } from './triggers.js';

const NameParams = z.object({ name: HookName }).strict();
const tags = ['notifications'];

export const notificationRoutes: FastifyPluginAsyncZod = async (app) => {
  const { notifications, secrets } = app.baton;
  const { store, queue } = notifications;
  const load = async (name: string) => {
    const s = await store.get(name);
    if (!s) throw new ApiError('NOT_FOUND', `no notification subscription "${name}"`);
    return s;
  };

  app.get('/v1/notifications', { schema: { operationId: 'listNotifications', tags, summary: 'Notification subscriptions (target URLs shown by origin only)', querystring: NoQuery, response: { 200: NotificationList }, errors: [] } }, async () => ({
    items: (await store.list()).map(notificationView),
  }));

  app.get('/v1/notifications/:name', { schema: { operationId: 'getNotification', tags, summary: 'A notification subscription', params: NameParams, response: { 200: NotificationView }, errors: ['NOT_FOUND'] } }, async (req) =>
    notificationView(await load(req.params.name)),
  );

  app.put(
    '/v1/notifications/:name',
    {
      bodyLimit: 64 * 1024,
      schema: {
        operationId: 'putNotification',
        tags,
        summary: 'Create or replace a subscription: which run events, for which pipelines or labels, delivered to a signed webhook or a Slack incoming webhook',
        params: NameParams,
        body: NotificationRequest,
        response: { 200: NotificationView, 201: NotificationView },
        errors: [],
      },
    },
    async (req, reply) => {
      if (req.body.target.type === 'webhook') checkSecretRef(req.body.target.secret, secrets, false, ['target', 'secret']);
      const { sub, created } = await store.put(req.params.name, req.body, new Date());
      return reply.code(created ? 201 : 200).send(notificationView(sub));
    },
  );

  app.delete('/v1/notifications/:name', { schema: { operationId: 'deleteNotification', tags, summary: 'Delete a subscription and its delivery records', params: NameParams, response: { 204: NoContent }, errors: ['NOT_FOUND'] } }, async (req, reply) => {
    if (!(await store.delete(req.params.name))) throw new ApiError('NOT_FOUND', `no notification subscription "${req.params.name}"`);
    return reply.code(204).send();
  });

  app.get(
    '/v1/notifications/:name/deliveries',
    {
      schema: {
        operationId: 'listNotificationDeliveries',
        tags,
        summary: 'Deliveries of a subscription, newest first; ?status=failed is the dead-letter view',
        params: NameParams,
        querystring: z.object({ status: NotificationDelivery.shape.status.optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict(),
        response: { 200: NotificationDeliveryList },
        errors: ['NOT_FOUND'],
      },
    },
    async (req) => {
      await load(req.params.name);
      return { items: await store.deliveries(req.params.name, req.query.limit, req.query.status) };
    },
  );

  app.post(
    '/v1/notifications/:name/deliveries/:deliveryId/redeliver',
    {
      schema: {
        operationId: 'redeliverNotification',
        tags,
        summary: 'Send a delivery again (same delivery id, so receivers can deduplicate)',
        params: NameParams.extend({ deliveryId: z.string().min(1).max(300) }).strict(),
        response: { 202: NotificationDelivery },
        errors: ['NOT_FOUND'],
      },
    },
    async (req, reply) => {
      await load(req.params.name);
      const d = await store.delivery(req.params.name, req.params.deliveryId);
      if (!d || !(await redeliver(queue, store, req.params.name, d.deliveryId))) throw new ApiError('NOT_FOUND', `no delivery "${req.params.deliveryId}" to redeliver`);
      return reply.code(202).send((await store.delivery(req.params.name, d.deliveryId))!);
    },
  );
};
