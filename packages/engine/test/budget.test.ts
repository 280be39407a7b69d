import { PipelineDefinition, type ModelUsage, type PipelineDefinitionInput } from '@baton/contracts';
import { describe, expect, it } from 'vitest';
import { budgetLeft } from '../src/control/budget.js';
import { buildEnvelope } from '../src/envelope.js';
import { createRun, markFinished, retry, type Outcome } from '../src/reducer.js';
import type { RunDoc } from '../src/run-doc.js';

const CHAIN = (budget: PipelineDefinitionInput['budget']): PipelineDefinitionInput => ({
  stages: [
    { name: 'a', agent: 'llm' },
    { name: 'b', agent: 'llm', dependsOn: ['a'] },
    { name: 'c', agent: 'llm', dependsOn: ['b'] },
  ],
  ...(budget ? { budget } : {}),
});

const newRun = (def: PipelineDefinitionInput): RunDoc =>
  createRun({ id: 'run_01M7Y673N5R6MF5373N0YQW6N1', pipeline: { name: 'p', version: 1 }, definition: PipelineDefinition.parse(def), input: {}, labels: {}, now: 1000 }).doc;

const use = (inputTokens: number, outputTokens: number, costUsd: number, calls = 1): ModelUsage => ({ inputTokens, outputTokens, costUsd, calls });
const ok = (usage?: ModelUsage): Outcome => ({ ok: true, output: {}, agentId: 'ag', attempt: 1, startedAt: 1000, finishedAt: 2000, ...(usage ? { usage } : {}) });
const finish = (d: RunDoc, stage: string, o: Outcome): RunDoc => markFinished(d, { stage, dispatch: d.stages[stage]!.dispatch, outcome: o }, 3000)!.doc;
const statuses = (d: RunDoc) => Object.fromEntries(Object.entries(d.stages).map(([n, s]) => [n, s.status]));

describe('run budgets (control/budget.ts)', () => {
  it('sums usage per stage and per run, committed with each result', () => {
    let d = newRun(CHAIN(undefined));
    d = finish(d, 'a', ok(use(100, 20, 0.0013)));
    d = finish(d, 'b', ok(use(50, 5, 0.0002)));
    expect(d.stages.a!.usage).toEqual(use(100, 20, 0.0013));
    expect(d.usage).toEqual(use(150, 25, 0.0015, 2));
    expect(statuses(d).c).toBe('queued');
    expect(budgetLeft(d)).toBeUndefined();
  });

  it('refuses to dispatch the next stage once the token budget is spent and fails the run', () => {
    let d = newRun(CHAIN({ tokens: 200 }));
    d = finish(d, 'a', ok(use(100, 20, 0)));
    expect(statuses(d).b).toBe('queued');
    expect(budgetLeft(d)).toEqual({ tokens: 80, costUsd: null });
    const env = buildEnvelope(d, 'b');
    expect('envelope' in env && env.envelope.budget).toEqual({ tokens: 80, costUsd: null });
    d = finish(d, 'b', ok(use(70, 15, 0)));
    expect(d.status).toBe('failed');
    expect(d.error?.code).toBe('RUN_BUDGET_EXCEEDED');
    expect(statuses(d)).toEqual({ a: 'succeeded', b: 'succeeded', c: 'skipped' });
  });

  it('stops on the cost budget too, and keeps going while any is left', () => {
    let d = newRun(CHAIN({ costUsd: 0.01, tokens: 1_000_000 }));
    d = finish(d, 'a', ok(use(10, 10, 0.004)));
    d = finish(d, 'b', ok(use(10, 10, 0.005)));
    expect(d.status).toBe('running');
    expect(budgetLeft(d)?.costUsd).toBeCloseTo(0.001, 9);
    d = finish(d, 'c', ok(use(10, 10, 0.002)));
    // The last stage overspent but nothing was left to dispatch: the run succeeded.
    expect(d.status).toBe('succeeded');
    expect(d.usage?.costUsd).toBe(0.011);
  });

  it('keeps the spend of a failed run when it is retried, so a re-run cannot reset the budget', () => {
    let d = newRun(CHAIN({ tokens: 100 }));
    d = finish(d, 'a', ok(use(60, 40, 0)));
    expect(d.status).toBe('failed');
    d = retry(d, 'b', 4000).doc;
    expect(d.status).toBe('failed');
    expect(d.error?.code).toBe('RUN_BUDGET_EXCEEDED');
    expect(d.usage?.inputTokens).toBe(60);
  });
});
