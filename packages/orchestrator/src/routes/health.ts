import { checkEvictionPolicy, errorMessage } from '@baton/platform';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Health, Ready } from '@baton/contracts';
import { NoQuery } from './no-query.js';


export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  const { redis } = app.baton;

  app.get('/health', { schema: { operationId: 'getHealth', tags: ['health'], summary: 'The process is up', querystring: NoQuery, response: { 200: Health }, errors: [] } }, async () => ({ status: 'ok' as const }));

  app.get(
    '/ready',
    {
      schema: {
        operationId: 'getReadiness',
        tags: ['health'],
        summary: 'Redis is reachable and will not evict (maxmemory-policy noeviction)',
        querystring: NoQuery,
        response: { 200: Ready, 503: Ready },
        errors: [],
      },
    },
    async (_req, reply) => {
      const checks: Record<string, { ok: boolean; message: string }> = {};
      try {
        await redis.ping();
        checks.redis = { ok: true, message: 'reachable' };
        const ev = await checkEvictionPolicy(redis);
        // Baton's own sentence about the policy (no Redis reply text): what an operator's probe needs.
        checks.eviction = { ok: ev.ok, message: ev.message };
      } catch (e: unknown) {
        // /ready is public: Redis's own error text (addresses, user names, ACL replies) goes to the log only.
        app.log.warn({ err: errorMessage(e) }, 'readiness check: Redis unreachable');
        checks.redis = { ok: false, message: 'unreachable (see the orchestrator log)' };
      }
      const ok = Object.values(checks).every((c) => c.ok) && checks.eviction !== undefined;
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not-ready', checks });
    },
  );
};
