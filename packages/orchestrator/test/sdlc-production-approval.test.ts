import { PipelineDefinition, type JsonObject } from '@baton/contracts';
import { createRun, decideApproval, markFinished, validateConditions, type RunDoc } from '@baton/engine';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PIPELINES } from '../src/builtin-pipelines.js';

/** The sdlc pipeline's optional production approval (issue 16), driven through the engine's transitions. */
const def = PipelineDefinition.parse(BUILTIN_PIPELINES.sdlc);

function runTo(stageBefore: string, input: JsonObject): RunDoc {
  let doc = createRun({ id: 'run_01M7Y673N5R6MF5373N0YQW6N1', pipeline: { name: 'sdlc', version: 1 }, definition: def, input, labels: {}, now: 1000 }).doc;
  for (const stage of ['scaffold', 'validation', 'e2e', 'integration']) {
    const outcome = { ok: true as const, output: (stage === 'integration' ? { mergeSha: 'abc123' } : { repository: { url: 'x' } }) as JsonObject, agentId: 'a', attempt: 1, startedAt: 1000, finishedAt: 2000 };
    doc = markFinished(doc, { stage, dispatch: doc.stages[stage]!.dispatch, outcome }, 2000)!.doc;
    if (stage === stageBefore) break;
  }
  return doc;
}

describe('the sdlc pipeline production approval', () => {
  it('is valid and sits between integration and deployment', () => {
    expect(validateConditions(def)).toEqual([]);
    expect(def.stages.map((s) => s.name)).toEqual(['scaffold', 'validation', 'e2e', 'integration', 'production-approval', 'deployment']);
  });

  it('is off by default: skipped, and the deployment runs', () => {
    const doc = runTo('integration', { name: 'svc' });
    expect(doc.stages['production-approval']).toMatchObject({ status: 'skipped', condition: { result: false } });
    expect(doc.stages.deployment!.status).toBe('queued');
  });

  it('with requireProductionApproval waits for an operator, with the release in its message', () => {
    const doc = runTo('integration', { name: 'svc', requireProductionApproval: true });
    expect(doc.status).toBe('waiting');
    expect(doc.stages['production-approval']).toMatchObject({ status: 'waiting', message: 'Deploy svc (abc123) to production?' });
    expect(doc.stages.deployment!.status).toBe('pending');
    const approved = decideApproval(doc, { stage: 'production-approval', decision: 'approved', actor: { keyId: 'k1', role: 'operator' }, comment: null }, 3000).doc;
    expect(approved.stages.deployment!.status).toBe('queued');
    const rejected = decideApproval(doc, { stage: 'production-approval', decision: 'rejected', actor: { keyId: 'k1', role: 'operator' }, comment: 'not today' }, 3000).doc;
    expect(rejected.status).toBe('failed');
    expect(rejected.stages.deployment!.status).toBe('skipped');
  });
});
