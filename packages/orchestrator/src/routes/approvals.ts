import { ApprovalDecisionRequest, RunView, StageName } from '@baton/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { RunParams } from './runs.js';
import { runView } from '../views.js';

const StageParams = RunParams.extend({ stage: StageName }).strict();
const tags = ['runs'];
const SMALL_BODY = 16 * 1024;

/**
 * Decisions on approval stages. The permission table lets any key from `submitter` up call these;
 * the engine checks the stage's own approvers and the self-approval rule (403 otherwise). The audit
 * log records the request (actor, route, path); the decision, approver and comment are the stage's
 * output and in the run's events.
 */
export const approvalRoutes: FastifyPluginAsyncZod = async (app) => {
  const { engine } = app.baton;
  for (const decision of ['approved', 'rejected'] as const) {
    const verb = decision === 'approved' ? 'approve' : 'reject';
    app.post(
      `/v1/runs/:id/stages/:stage/${verb}`,
      {
        bodyLimit: SMALL_BODY,
        schema: {
          operationId: decision === 'approved' ? 'approveStage' : 'rejectStage',
          tags,
          summary:
            decision === 'approved'
              ? 'Approve a waiting approval stage: it succeeds with approver, time and comment as output, and the run continues'
              : 'Reject a waiting approval stage: it fails with APPROVAL_REJECTED',
          params: StageParams,
          body: ApprovalDecisionRequest.nullish(),
          response: { 200: RunView },
          errors: ['RUN_NOT_FOUND', 'INVALID_STATE', 'FORBIDDEN'],
        },
      },
      async (req) => {
        const actor = req.actor ? { keyId: req.actor.keyId, role: req.actor.role } : null;
        const doc = await engine.decide(req.params.id, { stage: req.params.stage, decision, actor, comment: req.body?.comment ?? null });
        return runView(doc, await engine.registry.hints());
      },
    );
  }
};
