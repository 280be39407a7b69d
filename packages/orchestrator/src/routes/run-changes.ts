import { RunChanges } from '@baton/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { EventStream } from '../openapi/components.js';
import { NoQuery } from './no-query.js';
import { openEventStream } from './sse.js';

const FLUSH_MS = 500;
const MAX_IDS = 100;

/**
 * GET /v1/runs/changes — server-sent events for lists: a `changed` event naming the runs that
 * changed, at most every 500 ms. A doorbell only (built on the pub/sub run notices, which can be
 * lost): clients refetch the authoritative list, and on every (re)connect, a `hello` event says so.
 */
export const runChangeRoutes: FastifyPluginAsyncZod = async (app) => {
  const { notices } = app.baton;

  app.get(
    '/v1/runs/changes',
    {
      schema: {
        operationId: 'streamRunChanges',
        tags: ['runs'],
        summary: 'Server-sent doorbells whenever runs change (refetch the list on each)',
        description: 'A `hello` event on every (re)connect, then `changed` events (`data`: RunChanges) at most every 500 ms. Doorbells only: refetch the list on each.',
        querystring: NoQuery,
        produces: ['text/event-stream'],
        response: { 200: { description: '`hello`, then `changed` events whose `data` is `{ runIds, more }`', content: { 'text/event-stream': { schema: EventStream } } } },
        errors: ['TOO_MANY_STREAMS', 'STREAMS_EXHAUSTED'],
        'x-baton-event-data': RunChanges,
      },
    },
    async (req, reply) => {
      const release = app.streamSlots.acquire(req);
      const res = openEventStream(reply, 'event: hello\ndata: {}\n\n');
      res.once('close', release).once('finish', release);
      const changed = new Set<string>();
      let more = false;
      const flush = setInterval(() => {
        if (changed.size === 0 && !more) return;
        const body: RunChanges = { runIds: [...changed], more };
        changed.clear();
        more = false;
        res.write(`event: changed\ndata: ${JSON.stringify(body)}\n\n`);
      }, FLUSH_MS);
      const unsubscribe = notices.onAny((runId) => {
        if (changed.size < MAX_IDS) changed.add(runId);
        else more = true;
      });
      res.on('close', () => {
        clearInterval(flush);
        unsubscribe();
      });
    },
  );
};
