import { BulkRunRequest, BulkRunResponse } from '@baton/contracts';
import type { BulkAction } from '@baton/engine';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { idempotencyKeyHeaders } from '../openapi/components.js';

const BulkHeaders = idempotencyKeyHeaders(
  'Repeating the call with the same key resumes it: runs an earlier call already acted on are skipped with `ALREADY_DONE`, so each run is acted on exactly once even if an orchestrator died mid-call.',
);

const tags = ['runs'];
const SUMMARY: Record<BulkAction, string> = {
  cancel: 'Cancel every run a filter matches, or the runs listed in `runIds` (at most `limit` per call)',
  retry: 'Retry every finished run a filter matches, or the runs listed in `runIds`, from its failed stages (at most `limit` per call)',
};

/** POST /v1/runs/bulk/{cancel,retry}: the filter of GET /v1/runs, a dry run, per-run results, one audit entry. */
export const bulkRunRoutes: FastifyPluginAsyncZod = async (app) => {
  const { engine } = app.baton;
  for (const action of ['cancel', 'retry'] as const) {
    app.post(
      `/v1/runs/bulk/${action}`,
      {
        bodyLimit: 64 * 1024,
        schema: {
          operationId: action === 'cancel' ? 'bulkCancelRuns' : 'bulkRetryRuns',
          tags,
          summary: SUMMARY[action],
          headers: BulkHeaders,
          body: BulkRunRequest,
          response: { 200: BulkRunResponse },
          errors: ['IDEMPOTENCY_CONFLICT'],
        },
      },
      async (req) => {
        const idempotencyKey = req.headers['idempotency-key'];
        const r = await engine.bulk(action, req.body, { ...(idempotencyKey ? { idempotencyKey } : {}), scope: req.actor?.keyId ?? null });
        req.auditDetail = { action, filter: req.body.filter, ...(req.body.runIds ? { runIds: req.body.runIds.length } : {}), dryRun: r.dryRun, matched: r.matched, done: r.done, skipped: r.skipped };
        return r;
      },
    );
  }
};
