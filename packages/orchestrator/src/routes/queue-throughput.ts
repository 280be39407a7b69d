import { QueueThroughput } from '@baton/contracts';
import { parseCounterField } from '@baton/engine';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { NoQuery } from './no-query.js';

/** GET /v1/queues/throughput — finished-stage counters per agent type, read from the fleet counters. */
export const queueThroughputRoutes: FastifyPluginAsyncZod = async (app) => {
  const { engine, redis, keys } = app.baton;

  app.get(
    '/v1/queues/throughput',
    {
      schema: {
        operationId: 'getQueueThroughput',
        tags: ['queues'],
        summary: 'Stages finished per agent type and outcome since the counters began (sample twice for a rate)',
        querystring: NoQuery,
        response: { 200: QueueThroughput },
        errors: [],
      },
    },
    async () => {
      const [types, raw] = await Promise.all([engine.registry.knownTypes(), redis.hgetall(keys.metrics())]);
      const rows = new Map<string, QueueThroughput['items'][number]>([...types].sort().map((type) => [type, { type, finished: {}, retries: 0 }]));
      for (const [field, value] of Object.entries(raw)) {
        const { metric, labels } = parseCounterField(field);
        const row = labels.agent ? rows.get(labels.agent) : undefined;
        if (!row) continue;
        if (metric === 'stages_finished_total' && labels.outcome) row.finished[labels.outcome] = (row.finished[labels.outcome] ?? 0) + Number(value);
        if (metric === 'stage_retries_total') row.retries += Number(value);
      }
      return { at: new Date().toISOString(), items: [...rows.values()] };
    },
  );
};
