import { AgentCommandAccepted, AgentId, AgentType, FleetDrain, QueueList, QueueView } from '@baton/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError } from '../plugins/errors.js';
import { NoQuery } from './no-query.js';

const AgentParams = z.object({ id: AgentId }).strict();
const TypeParams = z.object({ type: AgentType }).strict();

/** Operator controls: drain and restart agents, roll a drain through a fleet, pause and resume queues. */
export const operationRoutes: FastifyPluginAsyncZod = async (app) => {
  const { engine } = app.baton;

  const AGENT_ACTIONS = {
    drain: 'The agent stops taking tasks, finishes what it holds and exits 0 (its supervisor starts a fresh one)',
    restart: 'The agent stops taking tasks, hands what it holds back to the queue and exits at once with code 75',
  } as const;
  for (const [action, summary] of Object.entries(AGENT_ACTIONS) as ['drain' | 'restart', string][]) {
    app.post(
      `/v1/agents/:id/${action}`,
      { bodyLimit: 1024, schema: { operationId: `${action}Agent`, tags: ['agents'], summary, params: AgentParams, response: { 202: AgentCommandAccepted }, errors: ['AGENT_NOT_FOUND'] } },
      async (req, reply) => reply.code(202).send(action === 'drain' ? await engine.drainAgent(req.params.id) : await engine.restartAgent(req.params.id)),
    );
  }

  app.post(
    '/v1/fleets/:type/drain',
    {
      bodyLimit: 1024,
      schema: {
        operationId: 'drainFleet',
        tags: ['agents'],
        summary: 'Drain every agent of a type, one at a time, waiting for each replacement so the fleet keeps serving',
        params: TypeParams,
        response: { 202: FleetDrain },
        errors: ['AGENT_NOT_FOUND', 'INVALID_STATE'],
      },
    },
    async (req, reply) => reply.code(202).send(await engine.drainFleet(req.params.type)),
  );

  app.get(
    '/v1/fleets/:type/drain',
    { schema: { operationId: 'getFleetDrain', tags: ['agents'], summary: 'Progress of the latest fleet drain of a type', params: TypeParams, response: { 200: FleetDrain }, errors: ['NOT_FOUND'] } },
    async (req) => {
      const d = await engine.fleetDrain(req.params.type);
      if (!d) throw new ApiError('NOT_FOUND', `no drain of the "${req.params.type}" fleet`);
      return d;
    },
  );

  app.get(
    '/v1/queues',
    { schema: { operationId: 'listQueues', tags: ['queues'], summary: 'Waiting/active/delayed/failed jobs and alive agents per agent type', querystring: NoQuery, response: { 200: QueueList }, errors: [] } },
    async () => ({ items: await engine.queues() }),
  );

  app.post(
    '/v1/queues/:type/pause',
    { bodyLimit: 1024, schema: { operationId: 'pauseQueue', tags: ['queues'], summary: 'Agents stop taking jobs of this type (running ones finish)', params: TypeParams, response: { 200: QueueView }, errors: ['NOT_FOUND'] } },
    async (req) => engine.pauseQueue(req.params.type, true),
  );

  app.post(
    '/v1/queues/:type/resume',
    { bodyLimit: 1024, schema: { operationId: 'resumeQueue', tags: ['queues'], summary: 'Agents take jobs of this type again', params: TypeParams, response: { 200: QueueView }, errors: ['NOT_FOUND'] } },
    async (req) => engine.pauseQueue(req.params.type, false),
  );
};
