import { NoQuery } from './no-query.js';
import { AgentList } from '@baton/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

export const agentRoutes: FastifyPluginAsyncZod = async (app) => {
  const { engine } = app.baton;
  app.get(
    '/v1/agents',
    { schema: { operationId: 'listAgents', tags: ['agents'], summary: 'The agent registry, with liveness per agent', querystring: NoQuery, response: { 200: AgentList }, errors: [] } },
    async () => ({ items: await engine.registry.list() }),
  );
};
