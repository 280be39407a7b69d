import { PipelineDefinition, validatePipeline, type PipelineDefinitionInput } from '@baton/contracts';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../src/engine-error.js';
import { cancel, createRun, decideApproval, expireApprovals, markFinished, pause, resume, retry } from '../src/reducer.js';
import type { RunDoc } from '../src/run-doc.js';

const GATED: PipelineDefinitionInput = {
  stages: [
    { name: 'build', agent: 'noop' },
    { name: 'prod-ok', dependsOn: ['build'], approval: { message: 'ship it?', timeoutMs: 60_000 } },
    { name: 'deploy', agent: 'noop', dependsOn: ['prod-ok'] },
  ],
};

const OWNER = { keyId: 'owner', role: 'operator' as const };
const OTHER = { keyId: 'other', role: 'operator' as const };

function newRun(def: PipelineDefinitionInput = GATED, createdBy: string | null = 'owner'): RunDoc {
  return createRun({
    id: 'run_01M7Y673N5R6MF5373N0YQW6N1',
    pipeline: { name: 'p', version: 1 },
    definition: PipelineDefinition.parse(def),
    input: {},
    labels: {},
    now: 1000,
    createdBy,
  }).doc;
}

const statuses = (d: RunDoc) => Object.fromEntries(Object.entries(d.stages).map(([n, s]) => [n, s.status]));

function built(d: RunDoc = newRun()): RunDoc {
  const outcome = { ok: true as const, output: {}, agentId: 'ag', attempt: 1, startedAt: 1000, finishedAt: 2000 };
  return markFinished(d, { stage: 'build', dispatch: 1, outcome }, 2000)!.doc;
}

function forbidden(fn: () => unknown): string {
  try {
    fn();
  } catch (e: unknown) {
    if (e instanceof EngineError) return e.code;
    throw e;
  }
  throw new Error('expected an EngineError');
}

describe('approval stages', () => {
  it('wait (stage and run) once their dependencies are done, and announce it', () => {
    const before = newRun();
    expect(statuses(before)['prod-ok']).toBe('pending');
    const t = markFinished(before, { stage: 'build', dispatch: 1, outcome: { ok: true, output: {}, agentId: 'a', attempt: 1, startedAt: 1000, finishedAt: 2000 } }, 2000)!;
    expect(statuses(t.doc)).toEqual({ build: 'succeeded', 'prod-ok': 'waiting', deploy: 'pending' });
    expect(t.doc.status).toBe('waiting');
    expect(t.events.find((e) => e.type === 'stage.waiting')).toMatchObject({ stage: 'prod-ok', message: 'ship it?', until: new Date(62_000).toISOString() });
  });

  it('an approval continues the run and records approver, time and comment as the output', () => {
    const t = decideApproval(built(), { stage: 'prod-ok', decision: 'approved', actor: OTHER, comment: 'lgtm' }, 5000);
    expect(t.doc.status).toBe('running');
    expect(statuses(t.doc)).toEqual({ build: 'succeeded', 'prod-ok': 'succeeded', deploy: 'queued' });
    expect(t.doc.stages['prod-ok']!.output).toEqual({ decision: 'approved', by: 'other', role: 'operator', at: new Date(5000).toISOString(), comment: 'lgtm' });
    expect(t.events.map((e) => e.type)).toEqual(['stage.succeeded', 'stage.queued']);
  });

  it('a rejection fails the stage with APPROVAL_REJECTED, and the run with it', () => {
    const t = decideApproval(built(), { stage: 'prod-ok', decision: 'rejected', actor: OTHER, comment: 'not today' }, 5000);
    expect(t.doc.status).toBe('failed');
    expect(t.doc.stages['prod-ok']!.error).toMatchObject({ code: 'APPROVAL_REJECTED', details: { by: 'other', comment: 'not today' } });
    expect(statuses(t.doc).deploy).toBe('skipped');
  });

  it('refuses self-approval by default, and allows it when the stage says so', () => {
    expect(forbidden(() => decideApproval(built(), { stage: 'prod-ok', decision: 'approved', actor: OWNER, comment: null }, 5000))).toBe('FORBIDDEN');
    const selfOk = structuredClone(GATED);
    (selfOk.stages[1]!.approval as { allowSelfApproval?: boolean }).allowSelfApproval = true;
    expect(decideApproval(built(newRun(selfOk)), { stage: 'prod-ok', decision: 'approved', actor: OWNER, comment: null }, 5000).doc.status).toBe('running');
  });

  it('lets only the listed approvers decide (operators and admins when none are listed)', () => {
    const submitter = { keyId: 'sub', role: 'submitter' as const };
    expect(forbidden(() => decideApproval(built(), { stage: 'prod-ok', decision: 'approved', actor: submitter, comment: null }, 5000))).toBe('FORBIDDEN');
    const listed = structuredClone(GATED);
    listed.stages[1]!.approval = { approvers: { keyIds: ['sub'], roles: ['admin'] } };
    const d = built(newRun(listed));
    expect(decideApproval(d, { stage: 'prod-ok', decision: 'approved', actor: submitter, comment: null }, 5000).doc.status).toBe('running');
    expect(forbidden(() => decideApproval(d, { stage: 'prod-ok', decision: 'approved', actor: OTHER, comment: null }, 5000))).toBe('FORBIDDEN');
    expect(decideApproval(d, { stage: 'prod-ok', decision: 'approved', actor: { keyId: 'root', role: 'admin' }, comment: null }, 5000).doc.status).toBe('running');
    // Auth disabled: no actor, anyone reaching the API decides.
    expect(decideApproval(d, { stage: 'prod-ok', decision: 'approved', actor: null, comment: null }, 5000).doc.stages['prod-ok']!.output).toMatchObject({ by: null });
  });

  it('refuses a decision on a stage that is not waiting, or not an approval', () => {
    const d = newRun();
    expect(forbidden(() => decideApproval(d, { stage: 'prod-ok', decision: 'approved', actor: OTHER, comment: null }, 5000))).toBe('INVALID_STATE');
    expect(forbidden(() => decideApproval(built(), { stage: 'build', decision: 'approved', actor: OTHER, comment: null }, 5000))).toBe('INVALID_STATE');
    expect(forbidden(() => decideApproval(built(), { stage: 'nope', decision: 'approved', actor: OTHER, comment: null }, 5000))).toBe('INVALID_REQUEST');
    const twice = decideApproval(built(), { stage: 'prod-ok', decision: 'approved', actor: OTHER, comment: null }, 5000).doc;
    expect(forbidden(() => decideApproval(twice, { stage: 'prod-ok', decision: 'rejected', actor: OTHER, comment: null }, 6000))).toBe('INVALID_STATE');
  });

  it('times out as the stage says: fail (APPROVAL_TIMEOUT) or reject', () => {
    const d = built();
    expect(expireApprovals(d, 61_999)).toBeNull();
    const t = expireApprovals(d, 62_000)!;
    expect(t.doc.status).toBe('failed');
    expect(t.doc.stages['prod-ok']!.error).toMatchObject({ code: 'APPROVAL_TIMEOUT', details: { decision: 'timed-out' } });
    const rejecting = structuredClone(GATED);
    rejecting.stages[1]!.approval = { timeoutMs: 60_000, onTimeout: 'reject' };
    expect(expireApprovals(built(newRun(rejecting)), 70_000)!.doc.stages['prod-ok']!.error?.code).toBe('APPROVAL_REJECTED');
    const forever = structuredClone(GATED);
    forever.stages[1]!.approval = {};
    expect(expireApprovals(built(newRun(forever)), 10 ** 12)).toBeNull();
  });

  it('cancels a waiting stage with the run; pause keeps it waiting; retry waits again', () => {
    expect(statuses(cancel(built(), null, 5000).doc)['prod-ok']).toBe('cancelled');
    const paused = pause(built(), 3000).doc;
    expect(paused.status).toBe('paused');
    expect(statuses(paused)['prod-ok']).toBe('waiting');
    expect(resume(paused, 4000).doc.status).toBe('waiting');
    const rejected = decideApproval(built(), { stage: 'prod-ok', decision: 'rejected', actor: OTHER, comment: null }, 5000).doc;
    const again = retry(rejected, undefined, 6000).doc;
    expect(again.status).toBe('waiting');
    expect(statuses(again)['prod-ok']).toBe('waiting');
    expect(again.stages['prod-ok']!.dispatch).toBe(2);
  });

  it('a root approval stage starts the run in waiting', () => {
    const d = newRun({ stages: [{ name: 'gate', approval: {} }, { name: 'go', agent: 'noop', dependsOn: ['gate'] }] });
    expect(d.status).toBe('waiting');
    expect(d.startedAt).toBe(1000);
  });

  it('validation: an approval stage takes no agent, and an agent stage needs one', () => {
    const known = new Set(['noop']);
    expect(validatePipeline(PipelineDefinition.parse(GATED), known)).toEqual([]);
    expect(validatePipeline(PipelineDefinition.parse({ stages: [{ name: 'a' }] }), known)).toEqual([{ path: ['stages', 0, 'agent'], message: expect.stringContaining('approval') }]);
    expect(validatePipeline(PipelineDefinition.parse({ stages: [{ name: 'a', agent: 'noop', approval: {} }] }), known)).toEqual([
      { path: ['stages', 0, 'approval'], message: expect.stringContaining('takes no "agent"') },
    ]);
  });

  it('render {{ }} references in the message when waiting, and reject references to non-upstream stages', () => {
    const def: PipelineDefinitionInput = {
      stages: [
        { name: 'build', agent: 'noop' },
        { name: 'side', agent: 'noop' },
        { name: 'prod-ok', dependsOn: ['build'], approval: { message: 'Ship {{ stages.build.output.version }} to {{input.env}}? ({{ input.missing }})' } },
      ],
    };
    const run = createRun({ id: 'run_01M7Y673N5R6MF5373N0YQW6N1', pipeline: { name: 'p', version: 1 }, definition: PipelineDefinition.parse(def), input: { env: 'prod' }, labels: {}, now: 1000 }).doc;
    const outcome = { ok: true as const, output: { version: '2.0.1' }, agentId: 'ag', attempt: 1, startedAt: 1000, finishedAt: 2000 };
    const t = markFinished(run, { stage: 'build', dispatch: 1, outcome }, 2000)!;
    expect(t.doc.stages['prod-ok']!.message).toBe('Ship 2.0.1 to prod? (?)');
    expect(t.events.find((e) => e.type === 'stage.waiting')).toMatchObject({ message: 'Ship 2.0.1 to prod? (?)' });
    const bad = structuredClone(def);
    (bad.stages[2]!.approval as { message: string }).message = 'Ship {{ stages.side.output.v }}?';
    expect(validatePipeline(PipelineDefinition.parse(bad), new Set(['noop']))).toEqual([
      { path: ['stages', 2, 'approval', 'message'], message: '{{ stages.side.output.v }} references stage "side", which "prod-ok" does not depend on' },
    ]);
  });
});
