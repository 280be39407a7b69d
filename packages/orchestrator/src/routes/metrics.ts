import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';

/** GET /metrics — Prometheus text format. */
export function metricsRoutes(registry: Registry): FastifyPluginAsync {
  return async (app) => {
    app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
      const body = await registry.metrics();
      return reply.type(registry.contentType).send(body);
    });
  };
}
