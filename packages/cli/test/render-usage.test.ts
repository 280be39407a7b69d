import type { RunView } from '@baton/contracts';
import { describe, expect, it } from 'vitest';
import { stageTable } from '../src/render.js';

const run = (extra: Partial<RunView>, stageExtra: Record<string, unknown> = {}): RunView =>
  ({
    id: 'run_01M7Y673N5R6MF5373N0YQW6N1',
    status: 'failed',
    pipeline: { name: 'p', version: 1 },
    input: {},
    labels: {},
    createdAt: '',
    startedAt: null,
    finishedAt: null,
    updatedAt: '',
    error: null,
    createdBy: null,
    stages: [
      { name: 'ask', agent: 'llm', dependsOn: [], status: 'succeeded', attempts: 1, maxAttempts: 1, agentId: null, queuedAt: null, startedAt: null, finishedAt: null, durationMs: 10, progress: null, output: null, error: null, ...stageExtra },
    ],
    ...extra,
  }) as RunView;

describe('run view: model usage', () => {
  it('shows tokens and cost per stage and for the run, with its budget', () => {
    const text = stageTable(
      run({ usage: { inputTokens: 1200, outputTokens: 34, costUsd: 0.00411, calls: 3 }, budget: { tokens: 5000, costUsd: 1 } }, { usage: { inputTokens: 1200, outputTokens: 34, costUsd: 0.00411, calls: 3 } }),
    );
    expect(text).toContain('1,234 tok $0.0041');
    expect(text).toContain('model: 1,234 tok $0.0041 (in 1,200, out 34, 3 calls)  budget: 5,000 tok, $1');
  });

  it('adds nothing for a run without model calls', () => {
    expect(stageTable(run({}))).not.toContain('model:');
  });
});
