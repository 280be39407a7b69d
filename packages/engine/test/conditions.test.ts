import { PipelineDefinition, type PipelineDefinitionInput } from '@baton/contracts';
import { describe, expect, it } from 'vitest';
import { validateConditions } from '../src/control/conditions.js';
import * as reducer from '../src/reducer.js';
import { validateDefinition } from '../src/validate.js';
import { finish, newRun, statuses } from './helpers.js';

const COND: PipelineDefinitionInput = {
  stages: [
    { name: 'build', agent: 'noop' },
    { name: 'deploy', agent: 'noop', dependsOn: ['build'], when: 'input.env == "prod" && stages.build.output.tests > 3' },
    { name: 'notify', agent: 'noop', dependsOn: ['deploy'] },
    { name: 'report', agent: 'noop', dependsOn: ['deploy'], onUpstreamSkipped: 'run' },
  ],
};

const issuesOf = (def: PipelineDefinitionInput) => validateDefinition(PipelineDefinition.parse(def), new Set(['noop']));

describe('when conditions (control/conditions.ts)', () => {
  it('queue the stage when true, recording the expression and the values it read', () => {
    const d = finish(newRun(COND, { env: 'prod' }), 'build', { tests: 5 });
    expect(statuses(d).deploy).toBe('queued');
    expect(d.stages.deploy!.condition).toEqual({
      expression: COND.stages[1]!.when,
      result: true,
      values: { 'input.env': 'prod', 'stages.build.output.tests': 5 },
    });
  });

  it('skip the stage when false; dependents skip too unless they opt to run', () => {
    const d = finish(newRun(COND, { env: 'staging' }), 'build', { tests: 5 });
    expect(statuses(d)).toEqual({ build: 'succeeded', deploy: 'skipped', notify: 'skipped', report: 'queued' });
    expect(d.stages.deploy!.condition).toMatchObject({ result: false, values: { 'input.env': 'staging' } });
    const skipped = finish(newRun(COND, { env: 'staging' }), 'build', { tests: 5 });
    expect(skipped.status).toBe('running');
    const done = finish(skipped, 'report', {}, 3000);
    expect(done.status).toBe('succeeded');
  });

  it('emit the condition on the skip event', () => {
    const base = newRun(COND, { env: 'dev' });
    const outcome = { ok: true as const, output: { tests: 1 }, agentId: 'ag', attempt: 1, startedAt: 1000, finishedAt: 2000 };
    // markFinished through finish() drops events; look at them directly
    const { markFinished } = reducer;
    const t = markFinished(base, { stage: 'build', dispatch: 1, outcome }, 2000)!;
    const skip = t.events.find((e) => e.type === 'stage.skipped' && e.stage === 'deploy');
    expect(skip).toMatchObject({ condition: { result: false, values: { 'input.env': 'dev', 'stages.build.output.tests': 1 } } });
    expect((skip as { reason: string }).reason).toContain('input.env == "prod"');
  });

  it('fail the stage with CONDITION_FAILED when the expression errors or is not a boolean', () => {
    const missing = finish(newRun(COND, {}), 'build', { tests: 5 });
    expect(missing.stages.deploy!.error).toMatchObject({ code: 'CONDITION_FAILED' });
    expect(missing.status).toBe('failed');
    const notBool = finish(newRun({ stages: [{ name: 'a', agent: 'noop' }, { name: 'b', agent: 'noop', dependsOn: ['a'], when: 'stages.a.output.n + 1.0' }] }), 'a', { n: 1 });
    expect(notBool.stages.b!.error?.message).toContain('not a boolean');
  });

  it('read the status of upstream stages, and evaluate again on retry', () => {
    const def: PipelineDefinitionInput = {
      stages: [
        { name: 'a', agent: 'noop', onFailure: 'continue' },
        { name: 'cleanup', agent: 'noop', dependsOn: ['a'], when: 'stages.a.status == "failed"' },
      ],
    };
    const ok = finish(newRun(def), 'a');
    expect(statuses(ok).cleanup).toBe('skipped');
    expect(ok.status).toBe('succeeded');
    const again = reducer.retry(ok, 'a', 5000).doc;
    expect(statuses(again)).toEqual({ a: 'queued', cleanup: 'pending' });
    expect(again.stages.cleanup!.condition).toBeUndefined();
  });

  it('are rejected at validation with the path and the position of a syntax error', () => {
    const bad = issuesOf({ stages: [{ name: 'a', agent: 'noop' }, { name: 'b', agent: 'noop', dependsOn: ['a'], when: 'input.x == 1 &&' }] });
    expect(bad).toHaveLength(1);
    expect(bad[0]!.path).toEqual(['stages', 1, 'when']);
    expect(bad[0]!.message).toMatch(/line 1, column 1[0-9]/);
  });

  it('may only reference upstream stages, input and macro variables', () => {
    const def = (when: string): PipelineDefinitionInput => ({
      stages: [{ name: 'a', agent: 'noop' }, { name: 'side', agent: 'noop' }, { name: 'b', agent: 'noop', dependsOn: ['a'], when }],
    });
    expect(issuesOf(def('stages.side.output.ok'))[0]).toEqual({ path: ['stages', 2, 'when'], message: 'references stage "side", which "b" does not depend on' });
    expect(issuesOf(def('stages["ghost"].output.ok'))[0]?.message).toContain('unknown stage "ghost"');
    expect(issuesOf(def('secrets.token == "x"'))[0]?.message).toContain('unknown variable "secrets"');
    expect(issuesOf(def('input.items.exists(i, i == stages.a.output.name)'))).toEqual([]);
    expect(issuesOf(def('stages.a.output.list.all(x, x > 0)'))).toEqual([]);
    expect(validateConditions(PipelineDefinition.parse(def('has(stages.a.output.x)')))).toEqual([]);
  });
});


