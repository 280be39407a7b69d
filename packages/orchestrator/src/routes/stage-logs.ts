import { RunId, StageLogEntry, StageLogPage, StageName } from '@baton/contracts';
import type { RunDoc } from '@baton/engine';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { described, EventStream } from '../openapi/components.js';
import { ApiError } from '../plugins/errors.js';
import { SharedStreamFeed, type FeedSource } from './shared-stream-feed.js';
import { openEventStream } from './sse.js';

const Params = z.object({ id: RunId, stage: StageName }).strict();
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;
const PageQuery = z
  .object({
    /** The stage dispatch (default: the current one). */
    dispatch: z.coerce.number().int().positive().optional(),
    after: z.string().regex(STREAM_ID, 'an entry id from this log').optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
  })
  .strict();
const StreamQuery = PageQuery.pick({ dispatch: true }).strict();
const LogHeaders = z.looseObject({
  'last-event-id': described(z.string().regex(STREAM_ID, 'an entry id from this log').optional(), 'Resume after this entry (the `id` of the last one received)'),
});
const POLL_MS = 300;
const PAGE = 500;
const tags = ['runs'];

function toEntry(id: string, fields: string[]): StageLogEntry {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  const attempt = Number(f.attempt ?? 1);
  if (f.lines !== undefined) return { id, attempt, kind: 'lines', lines: JSON.parse(f.lines) as string[] };
  if (f.truncated !== undefined) return { id, attempt, kind: 'truncated', detail: `output past ${f.truncated} bytes was dropped` };
  return { id, attempt, kind: 'end', detail: f.end ?? '' };
}

/** Is this dispatch of the stage over (no attempt of it will write again)? */
function dispatchOver(doc: RunDoc | null, stage: string, dispatch: number): boolean {
  const st = doc?.stages[stage];
  if (!st) return true;
  return st.dispatch !== dispatch || (st.status !== 'queued' && st.status !== 'running');
}

/**
 * A stage's live output (written by the agent runtime, runtime/src/live-log.ts): server-sent events
 * that end when the dispatch is over, resumable with Last-Event-ID, and a paged form. Every log
 * stream of the process shares one poller (SharedStreamFeed): one read per dispatch per pass,
 * however many are watching it.
 */
export const stageLogRoutes: FastifyPluginAsyncZod = async (app) => {
  const { engine, notices } = app.baton;
  const redis = engine.ctx.redis;
  const keys = engine.ctx.keys;

  async function target(id: string, stage: string, dispatch?: number): Promise<{ doc: RunDoc; dispatch: number }> {
    const doc = await engine.get(id);
    if (!doc) throw new ApiError('RUN_NOT_FOUND', `no run ${id}`);
    const st = doc.stages[stage];
    if (!st) throw new ApiError('NOT_FOUND', `run ${id} has no stage "${stage}"`);
    return { doc, dispatch: dispatch ?? st.dispatch };
  }
  const read = async (key: string, after: string, count: number) => ((await redis.xrange(key, `(${after}`, '+', 'COUNT', count)) as [string, string[]][]).map(([id, f]) => toEntry(id, f));
  // One poller for every log stream of this process (shared-stream-feed.ts, as for run events).
  const feed = new SharedStreamFeed(notices, app.log, { pollMs: POLL_MS, page: PAGE });
  app.addHook('onClose', async () => feed.stop());

  /** A dispatch's log as a feed: over once the dispatch is (read before the entries, so the last ones are still sent). */
  function logSource(id: string, stage: string, requested: number): FeedSource {
    let dispatch = requested;
    return {
      begin: async () => {
        const doc = await engine.get(id);
        // Not dispatched yet when the stream opened: follow the first dispatch.
        if (dispatch === 0 && doc?.stages[stage]) dispatch = doc.stages[stage].dispatch;
        if (dispatch === 0) return { over: !doc || !doc.stages[stage], read: null };
        const key = keys.stageLog(id, stage, dispatch);
        return {
          over: dispatchOver(doc, stage, dispatch),
          read: async (after: string, count: number) => (await read(key, after, count)).map((e) => ({ id: e.id, event: e.kind, json: JSON.stringify(e) })),
        };
      },
    };
  }

  app.get(
    '/v1/runs/:id/stages/:stage/logs/page',
    {
      schema: {
        operationId: 'getStageLogPage',
        tags,
        summary: "A page of a stage dispatch's live log, oldest first",
        params: Params,
        querystring: PageQuery,
        response: { 200: StageLogPage },
        errors: ['RUN_NOT_FOUND', 'NOT_FOUND'],
      },
    },
    async (req) => {
      const t = await target(req.params.id, req.params.stage, req.query.dispatch);
      if (t.dispatch === 0) return { dispatch: 0, items: [], nextCursor: null, ended: false };
      const items = await read(keys.stageLog(req.params.id, req.params.stage, t.dispatch), req.query.after ?? '0', req.query.limit);
      const over = dispatchOver(t.doc, req.params.stage, t.dispatch);
      return { dispatch: t.dispatch, items, nextCursor: items.at(-1)?.id ?? req.query.after ?? null, ended: over && items.length < req.query.limit };
    },
  );

  app.get(
    '/v1/runs/:id/stages/:stage/logs',
    {
      schema: {
        operationId: 'streamStageLogs',
        tags,
        summary: "A stage dispatch's live log as server-sent events (past first, then live; ends when the dispatch ends)",
        description:
          'Each event has `id:` (the entry id: reconnect with `Last-Event-ID` to resume after it), `event:` (`lines`, `truncated` or `end`) and `data:` (the StageLogEntry as JSON). An `end` event closes each attempt; the stream ends once the dispatch is over and read to the end.',
        params: Params,
        querystring: StreamQuery,
        headers: LogHeaders,
        produces: ['text/event-stream'],
        response: { 200: { description: 'The log entries as server-sent events; each `data` is a StageLogEntry', content: { 'text/event-stream': { schema: EventStream } } } },
        errors: ['RUN_NOT_FOUND', 'NOT_FOUND', 'TOO_MANY_STREAMS', 'STREAMS_EXHAUSTED'],
        'x-baton-event-data': StageLogEntry,
      },
    },
    async (req, reply) => {
      const { id, stage } = req.params;
      const t = await target(id, stage, req.query.dispatch);
      const release = app.streamSlots.acquire(req);
      const res = openEventStream(reply);
      res.once('close', release).once('finish', release);
      // Streams of one dispatch share one watch; a stream opened before the first dispatch follows it once it exists.
      const unsubscribe = feed.subscribe(
        `${id}\n${stage}\n${t.dispatch}`,
        id,
        () => logSource(id, stage, t.dispatch),
        req.headers['last-event-id'] ?? '0',
        (e) => res.write(`id: ${e.id}\nevent: ${e.event ?? 'lines'}\ndata: ${e.json}\n\n`),
        () => res.end(),
      );
      res.once('close', unsubscribe);
    },
  );
};
