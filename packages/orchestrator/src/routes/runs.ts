import { CancelRequest, ForkRequest, RetryRequest, RunId, RunList, RunListQuery, RunRequest, RunView } from '@baton/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idempotencyKeyHeaders } from '../openapi/components.js';
import { ApiError } from '../plugins/errors.js';
import { runSummary, runView } from '../views.js';

export const RunParams = z.object({ id: RunId }).strict();

const SubmitHeaders = idempotencyKeyHeaders(
  'Submitting again with the same key returns the same run (with `idempotent-replayed: true`); the same key with another body is a 409.',
);

const tags = ['runs'];
/** Action routes take at most a reason or a stage name. */
const SMALL_BODY = 16 * 1024;

export const runRoutes: FastifyPluginAsyncZod = async (app) => {
  const { engine } = app.baton;

  const view = async (doc: Parameters<typeof runView>[0]) => runView(doc, await engine.registry.hints());

  app.post(
    '/v1/runs',
    {
      schema: {
        operationId: 'submitRun',
        tags,
        summary: 'Submit a run of a registered pipeline or an inline definition',
        headers: SubmitHeaders,
        body: RunRequest,
        response: { 202: RunView },
        errors: ['INVALID_PIPELINE', 'PIPELINE_NOT_FOUND', 'IDEMPOTENCY_CONFLICT', 'IDEMPOTENCY_RUN_DELETED', 'SECRET_SCOPE_DENIED', 'STAGE_INPUT_TOO_LARGE', 'TOO_MANY_ACTIVE_RUNS', 'APP_NOT_OWNED'],
      },
      // The hot path: the reply is built by runView() from a stored run document (already typed and
      // schema-checked when loaded), so it is serialized as is instead of being re-validated by zod.
      serializerCompiler: () => (data) => JSON.stringify(data),
    },
    async (req, reply) => {
      const actor = req.actor ? { keyId: req.actor.keyId, role: req.actor.role } : null;
      const r = await engine.submit(req.body, req.headers['idempotency-key'], req.actor?.keyId ?? null, actor);
      if (!r.created) void reply.header('idempotent-replayed', 'true');
      return reply.code(202).header('location', `/v1/runs/${r.doc.id}`).send(await view(r.doc));
    },
  );

  app.get(
    '/v1/runs',
    { schema: { operationId: 'listRuns', tags, summary: 'List runs, newest first', querystring: RunListQuery, response: { 200: RunList }, errors: [] } },
    async (req) => {
      const page = await engine.list(req.query);
      return { items: page.items.map(runSummary), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/runs/:id',
    { schema: { operationId: 'getRun', tags, summary: 'A run with every stage', params: RunParams, response: { 200: RunView }, errors: ['RUN_NOT_FOUND'] } },
    async (req) => {
      const doc = await engine.get(req.params.id);
      if (!doc) throw new ApiError('RUN_NOT_FOUND', `no run ${req.params.id}`);
      return runView(doc, await engine.registry.hints(), await engine.resolvedInputs(doc));
    },
  );

  app.post(
    '/v1/runs/:id/cancel',
    {
      bodyLimit: SMALL_BODY,
      schema: {
        operationId: 'cancelRun',
        tags,
        summary: 'Cancel a run (running stages are aborted)',
        params: RunParams,
        body: CancelRequest.nullish(),
        response: { 200: RunView },
        errors: ['RUN_NOT_FOUND', 'INVALID_STATE'],
      },
    },
    async (req) => {
      if (req.actor?.role === 'submitter') {
        const doc = await engine.get(req.params.id);
        if (doc && doc.createdBy !== req.actor.keyId) throw new ApiError('FORBIDDEN', 'a submitter key may cancel only the runs it submitted');
      }
      return view(await engine.cancel(req.params.id, req.body?.reason ?? null));
    },
  );

  app.post(
    '/v1/runs/:id/pause',
    { bodyLimit: SMALL_BODY, schema: { operationId: 'pauseRun', tags, summary: 'Pause a run: no new stage starts; running ones finish', params: RunParams, response: { 200: RunView }, errors: ['RUN_NOT_FOUND', 'INVALID_STATE'] } },
    async (req) => view(await engine.pause(req.params.id)),
  );

  app.post(
    '/v1/runs/:id/resume',
    { bodyLimit: SMALL_BODY, schema: { operationId: 'resumeRun', tags, summary: 'Resume a paused run', params: RunParams, response: { 200: RunView }, errors: ['RUN_NOT_FOUND', 'INVALID_STATE'] } },
    async (req) => view(await engine.resume(req.params.id)),
  );

  app.post(
    '/v1/runs/:id/retry',
    {
      bodyLimit: SMALL_BODY,
      schema: {
        operationId: 'retryRun',
        tags,
        summary: 'Re-run a finished run from a stage (default: its failed stages), keeping upstream outputs',
        params: RunParams,
        body: RetryRequest.nullish(),
        response: { 200: RunView },
        errors: ['RUN_NOT_FOUND', 'INVALID_STATE'],
      },
    },
    async (req) => view(await engine.retry(req.params.id, req.body?.fromStage)),
  );

  app.post(
    '/v1/runs/:id/fork',
    {
      bodyLimit: 1024 * 1024,
      schema: {
        operationId: 'forkRun',
        tags,
        summary: 'Start a new run of the same pipeline version from a stage, upstream stages copied with their recorded outputs (or overrides)',
        params: RunParams,
        body: ForkRequest,
        response: { 202: RunView },
        errors: ['RUN_NOT_FOUND', 'INVALID_STATE', 'SECRET_SCOPE_DENIED', 'STAGE_INPUT_TOO_LARGE', 'TOO_MANY_ACTIVE_RUNS', 'APP_NOT_OWNED'],
      },
    },
    async (req, reply) => {
      const actor = req.actor ? { keyId: req.actor.keyId, role: req.actor.role } : null;
      const doc = await engine.fork(req.params.id, req.body, req.actor?.keyId ?? null, actor);
      return reply.code(202).header('location', `/v1/runs/${doc.id}`).send(await view(doc));
    },
  );
};
