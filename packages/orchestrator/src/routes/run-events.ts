import { RunEvent } from '@baton/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { described, EventStream } from '../openapi/components.js';
import { ApiError } from '../plugins/errors.js';
import { RunParams } from './runs.js';
import { RunEventFeed } from './run-event-feed.js';
import { openEventStream } from './sse.js';

const PAGE = 500;
const POLL_MS = 5000;

const EventHeaders = z.looseObject({
  'last-event-id': described(
    z
      .string()
      .regex(/^\d{1,20}-\d{1,20}$/, 'an event id from this stream')
      .optional(),
    'Resume after this event (the `id` of the last event received)',
  ),
});

/**
 * GET /v1/runs/:id/events — server-sent events: every past event, then live ones, ending after the
 * run's final event. Each SSE id is the Redis stream id, so a client resumes with Last-Event-ID.
 * Every stream of the process shares one poller (RunEventFeed).
 */
export const runEventRoutes: FastifyPluginAsyncZod = async (app) => {
  const { engine, notices } = app.baton;
  // One poller for every event stream of this process (see run-event-feed.ts).
  const feed = new RunEventFeed(engine, notices, app.log, { pollMs: POLL_MS, page: PAGE });
  app.addHook('onClose', async () => feed.stop());

  app.get(
    '/v1/runs/:id/events',
    {
      schema: {
        operationId: 'streamRunEvents',
        tags: ['runs'],
        summary: 'Server-sent events of a run (past first, then live; ends when the run ends)',
        description:
          'Each event has `id:` (its stream id: reconnect with `Last-Event-ID` to resume after it), `event:` (the RunEvent type) and `data:` (the RunEvent as JSON). The stream ends after the run\'s final event.',
        params: RunParams,
        headers: EventHeaders,
        produces: ['text/event-stream'],
        response: { 200: { description: 'The run\'s events as server-sent events; each `data` is a RunEvent', content: { 'text/event-stream': { schema: EventStream } } } },
        errors: ['RUN_NOT_FOUND', 'TOO_MANY_STREAMS', 'STREAMS_EXHAUSTED'],
        'x-baton-event-data': RunEvent,
      },
    },
    async (req, reply) => {
      const runId = req.params.id;
      if (!(await engine.get(runId))) throw new ApiError('RUN_NOT_FOUND', `no run ${runId}`);

      const release = app.streamSlots.acquire(req);
      const res = openEventStream(reply);
      res.once('close', release).once('finish', release);
      const unsubscribe = feed.subscribe(
        runId,
        req.headers['last-event-id'] ?? '0',
        (e) => {
          const type = (JSON.parse(e.json) as { type?: string }).type ?? 'message';
          res.write(`id: ${e.id}\nevent: ${type}\ndata: ${e.json}\n\n`);
        },
        () => res.end(),
      );
      res.once('close', unsubscribe);
    },
  );
};
