import { RunView, SignalName, SignalRequest, SignalResult } from '@baton/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RunParams } from './runs.js';
import { runView } from '../views.js';

const SignalParams = RunParams.extend({ name: SignalName }).strict();
const SIGNAL_BODY = 256 * 1024;

/**
 * Signals (control/signal.ts): completes the run's stages waiting for `name` with the payload, or
 * keeps it for a stage that will wait for it. The payload is checked against the stage's schema.
 */
export const signalRoutes: FastifyPluginAsyncZod = async (app) => {
  const { engine } = app.baton;
  app.post(
    '/v1/runs/:id/signals/:name',
    {
      bodyLimit: SIGNAL_BODY,
      schema: {
        operationId: 'signalRun',
        tags: ['runs'],
        summary: 'Send a signal to a run: the stages waiting for it succeed with the payload as output (kept for a stage not yet waiting)',
        params: SignalParams,
        body: SignalRequest.nullish(),
        response: { 200: z.object({ result: SignalResult, run: RunView }) },
        errors: ['RUN_NOT_FOUND', 'INVALID_REQUEST', 'INVALID_STATE', 'PAYLOAD_TOO_LARGE'],
      },
    },
    async (req) => {
      const r = await engine.signal(req.params.id, req.params.name, req.body?.payload ?? null);
      return { result: { signal: req.params.name, delivered: r.delivered, buffered: r.buffered }, run: runView(r.doc, await engine.registry.hints()) };
    },
  );
};
