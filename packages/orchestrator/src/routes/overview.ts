import { Overview, OVERVIEW_DEFAULT_RANGE_MS, OVERVIEW_MAX_RANGE_MS, OverviewQuery } from '@baton/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ApiError } from '../plugins/errors.js';
import { readFleetGauges } from '../overview/fleet-gauges.js';
import { overviewSeries, readOverviewMinutes } from '../overview/overview-series.js';

/** GET /v1/overview — the dashboard's landing page: per-minute series kept in Redis (no Prometheus needed). */
export const overviewRoutes: FastifyPluginAsyncZod = async (app) => {
  const { engine, redis, keys } = app.baton;

  app.get(
    '/v1/overview',
    {
      schema: {
        operationId: 'getOverview',
        tags: ['queues'],
        summary: 'Runs finished per minute by outcome, stage duration p50/p95, queue depth, oldest waiting job and live agents per agent type',
        description:
          'Over [from, to) (default: the last hour; at most 24 hours; kept for 7 days). Run and stage counts are exact (counted in the run commit); queue and agent figures are one sample per minute, plus `now`. Percentiles come from fixed duration buckets (`durationBounds`).',
        querystring: OverviewQuery,
        response: { 200: Overview },
        errors: [],
      },
    },
    async (req) => {
      // Without "to": up to now; without "from": the hour before "to" (OverviewQuery checks a range given whole).
      const toMs = req.query.to ? Date.parse(req.query.to) : Date.now();
      const fromMs = req.query.from ? Date.parse(req.query.from) : toMs - OVERVIEW_DEFAULT_RANGE_MS;
      if (fromMs >= toMs) throw new ApiError('INVALID_REQUEST', '"from" must be before "to" (now, when "to" is not given)', [{ path: ['from'], message: '"from" must be before "to"' }]);
      if (toMs - fromMs > OVERVIEW_MAX_RANGE_MS) throw new ApiError('INVALID_REQUEST', 'the range may span at most 24 hours', [{ path: ['from'], message: 'the range may span at most 24 hours' }]);
      const [{ minutes, hashes }, gauges] = await Promise.all([readOverviewMinutes(redis, keys, fromMs, toMs), readFleetGauges(engine)]);
      return overviewSeries(fromMs, toMs, minutes, hashes, gauges);
    },
  );
};
