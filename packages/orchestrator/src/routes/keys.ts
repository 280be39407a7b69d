import { ApiKeyList, ApiKeyView, AuditList, CreatedKey, CreateKeyRequest } from '@baton/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { readAudit } from '../auth/audit.js';
import type { KeyStore } from '../auth/key-store.js';
import { ApiError } from '../plugins/errors.js';
import { NoQuery } from './no-query.js';

const SMALL_BODY = 16 * 1024;

/** API keys (admin) and the audit log (admin). */
export function keyRoutes(store: KeyStore): FastifyPluginAsyncZod {
  return async (app) => {
    const { redis, keys } = app.baton;

    app.get('/v1/keys', { schema: { operationId: 'listApiKeys', tags: ['security'], summary: 'API keys (never their secrets)', querystring: NoQuery, response: { 200: ApiKeyList }, errors: [] } }, async () => ({
      items: await store.list(),
    }));

    app.post(
      '/v1/keys',
      {
        bodyLimit: SMALL_BODY,
        schema: {
          operationId: 'createApiKey',
          tags: ['security'],
          summary: 'Create an API key; the response is the only time its secret is shown',
          body: CreateKeyRequest,
          response: { 201: CreatedKey },
          errors: [],
        },
      },
      async (req, reply) => {
        if (req.body.expiresAt && Date.parse(req.body.expiresAt) <= Date.now()) {
          throw new ApiError('INVALID_REQUEST', 'expiresAt is in the past', [{ path: ['body', 'expiresAt'], message: 'must be in the future' }]);
        }
        const { view, key } = await store.create(req.body.name, req.body.role, req.body.expiresAt ?? null, req.actor?.keyId ?? null);
        req.log.info({ keyId: view.id, role: view.role, name: view.name }, 'API key created');
        return reply.code(201).send({ ...view, key });
      },
    );

    app.post(
      '/v1/keys/:id/revoke',
      {
        bodyLimit: SMALL_BODY,
        schema: {
          operationId: 'revokeApiKey',
          tags: ['security'],
          summary: 'Revoke an API key (immediately, everywhere)',
          params: z.object({ id: z.string().regex(/^[0-9a-f]{12}$/, 'not a key id') }).strict(),
          response: { 200: ApiKeyView },
          errors: ['NOT_FOUND'],
        },
      },
      async (req) => {
        const view = await store.revoke(req.params.id);
        if (!view) throw new ApiError('NOT_FOUND', `no API key ${req.params.id}`);
        req.log.info({ keyId: view.id }, 'API key revoked');
        return view;
      },
    );

    app.get(
      '/v1/audit',
      {
        schema: {
          operationId: 'listAuditEntries',
          tags: ['security'],
          summary: 'The audit log, newest first: every mutating or denied request',
          querystring: z
            .object({ limit: z.coerce.number().int().min(1).max(1000).default(100), cursor: z.string().regex(/^\d{1,20}-\d{1,20}$/).optional() })
            .strict(),
          response: { 200: AuditList },
          errors: [],
        },
      },
      async (req) => readAudit(redis, keys, req.query.limit, req.query.cursor),
    );
  };
}
