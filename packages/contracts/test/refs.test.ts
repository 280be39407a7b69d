import { describe, expect, it } from 'vitest';
import { findJsonProblem, jobIdFor, parseJobId, resolveRefs } from '../src/index.js';

describe('resolveRefs', () => {
  it('replaces references with run input and upstream outputs, anywhere in the tree', () => {
    const r = resolveRefs(
      { a: { $from: 'input.repo.url' }, b: [1, { $from: 'stages.s1.output.files.0' }], c: { $from: 'stages.s1.output' }, d: 'static' },
      { input: { repo: { url: 'file:///x' } }, outputs: { s1: { files: ['f.ts'] } } },
    );
    expect(r).toEqual({ value: { a: 'file:///x', b: [1, 'f.ts'], c: { files: ['f.ts'] }, d: 'static' }, missing: [] });
  });

  it('uses defaults, and reports references that resolve to nothing', () => {
    const r = resolveRefs({ a: { $from: 'input.nope', default: 7 }, b: { $from: 'stages.s1.output.gone' } }, { input: {}, outputs: { s1: {} } });
    expect(r).toEqual({ value: { a: 7 }, missing: ['stages.s1.output.gone'] });
  });

  it('does not read inherited properties', () => {
    expect(resolveRefs({ a: { $from: 'input.constructor' } }, { input: {}, outputs: {} }).missing).toEqual(['input.constructor']);
  });
});

describe('findJsonProblem', () => {
  it('accepts plain JSON and rejects deep nesting and prototype keys without recursion', () => {
    expect(findJsonProblem({ a: [1, 'x', null, { b: true }] })).toBeNull();
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findJsonProblem(deep)?.message).toBe('nested deeper than 32 levels');
    expect(findJsonProblem(JSON.parse('{"a":{"__proto__":{"x":1}}}'))).toEqual({ path: ['a', '__proto__'], message: 'key "__proto__" is not allowed' });
  });
});

describe('job ids', () => {
  it('round-trip and reject foreign ids', () => {
    const id = jobIdFor('run_01M7Y673N5R6MF5373N0YQW6N1', 'build-2', 3);
    expect(parseJobId(id)).toEqual({ runId: 'run_01M7Y673N5R6MF5373N0YQW6N1', stage: 'build-2', dispatch: 3, item: null });
    const item = jobIdFor('run_01M7Y673N5R6MF5373N0YQW6N1', 'build-2', 3, 17);
    expect(item).toBe('run_01M7Y673N5R6MF5373N0YQW6N1.build-2.3.17');
    expect(parseJobId(item)).toEqual({ runId: 'run_01M7Y673N5R6MF5373N0YQW6N1', stage: 'build-2', dispatch: 3, item: 17 });
    expect(parseJobId('run_01M7Y673N5R6MF5373N0YQW6N1.build.1.01')).toBeNull();
    expect(parseJobId('42')).toBeNull();
    expect(parseJobId('run_01M7Y673N5R6MF5373N0YQW6N1.build.0')).toBeNull();
  });
});
