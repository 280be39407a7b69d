import { HookName, TriggerDetail, TriggerList, TriggerRequest, TriggerView, type StoredSecretRef } from '@baton/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError } from '../plugins/errors.js';
import { triggerView, type TriggerStore } from '../triggers/trigger-store.js';
import { NoContent } from '../openapi/components.js';
import { NoQuery } from './no-query.js';

const NameParams = z.object({ name: HookName }).strict();
const tags = ['triggers'];

/** A secret reference must name a variable this orchestrator has (other instances are expected to share its environment). */
export function checkSecretRef(ref: StoredSecretRef, secrets: Readonly<Record<string, string>>, allowValue: boolean, path: string[]): void {
  if ('value' in ref && !allowValue) {
    throw new ApiError('INVALID_REQUEST', 'this secret must be signed with, so it cannot be stored as a hash: give {"env": "BATON_SECRET_<NAME>"} and set that variable on every orchestrator', [
      { path: [...path, 'value'], message: 'only a GitLab token may be given as a value' },
    ]);
  }
  if ('env' in ref && secrets[ref.env] === undefined) {
    throw new ApiError('INVALID_REQUEST', `${ref.env} is not set in this orchestrator's environment`, [{ path: [...path, 'env'], message: 'not set' }]);
  }
}

export const triggerRoutes =
  (store: TriggerStore, secrets: Readonly<Record<string, string>>): FastifyPluginAsyncZod =>
  async (app) => {
    const { engine } = app.baton;
    app.get('/v1/triggers', { schema: { operationId: 'listTriggers', tags, summary: 'Webhook triggers', querystring: NoQuery, response: { 200: TriggerList }, errors: [] } }, async () => ({
      items: (await store.list()).map(triggerView),
    }));

    app.get(
      '/v1/triggers/:name',
      { schema: { operationId: 'getTrigger', tags, summary: 'A webhook trigger and its latest deliveries with their outcomes', params: NameParams, response: { 200: TriggerDetail }, errors: ['NOT_FOUND'] } },
      async (req) => {
        const t = await store.get(req.params.name);
        if (!t) throw new ApiError('NOT_FOUND', `no trigger "${req.params.name}"`);
        return { ...triggerView(t), deliveries: await store.deliveries(t.name) };
      },
    );

    app.put(
      '/v1/triggers/:name',
      {
        bodyLimit: 64 * 1024,
        schema: {
          operationId: 'putTrigger',
          tags,
          summary: 'Create or replace a webhook trigger (its secret is stored as a reference or a hash and never shown)',
          params: NameParams,
          body: TriggerRequest,
          response: { 200: TriggerView, 201: TriggerView },
          errors: ['PIPELINE_NOT_FOUND'],
        },
      },
      async (req, reply) => {
        checkSecretRef(req.body.secret, secrets, req.body.source === 'gitlab', ['secret']);
        if (!(await engine.pipelines.get(req.body.pipeline, req.body.version))) throw new ApiError('PIPELINE_NOT_FOUND', `no pipeline "${req.body.pipeline}"`);
        const { trigger, created } = await store.put(req.params.name, req.body, new Date(), req.actor ? { keyId: req.actor.keyId, role: req.actor.role } : null);
        return reply.code(created ? 201 : 200).send(triggerView(trigger));
      },
    );

    app.delete(
      '/v1/triggers/:name',
      { schema: { operationId: 'deleteTrigger', tags, summary: 'Delete a webhook trigger (its deliveries are then answered 404)', params: NameParams, response: { 204: NoContent }, errors: ['NOT_FOUND'] } },
      async (req, reply) => {
        if (!(await store.delete(req.params.name))) throw new ApiError('NOT_FOUND', `no trigger "${req.params.name}"`);
        return reply.code(204).send();
      },
    );
  };
