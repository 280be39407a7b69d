import { describe, expect, it } from 'vitest';
import { PipelineDefinition, validatePipeline, type PipelineDefinitionInput } from '../src/index.js';

const known = new Set(['noop', 'scaffold']);
const check = (def: PipelineDefinitionInput) => validatePipeline(PipelineDefinition.parse(def), known);

describe('validatePipeline', () => {
  it('accepts a DAG with a parallel branch and upstream references', () => {
    expect(
      check({
        stages: [
          { name: 'a', agent: 'noop' },
          { name: 'b', agent: 'noop', dependsOn: ['a'], input: { x: { $from: 'stages.a.output.v' } } },
          { name: 'c', agent: 'noop', dependsOn: ['a'] },
          { name: 'd', agent: 'noop', dependsOn: ['b', 'c'], input: { y: { $from: 'stages.a.output' }, z: { $from: 'input.k', default: 1 } } },
        ],
      }),
    ).toEqual([]);
  });

  it('reports a cycle with its path', () => {
    const issues = check({
      stages: [
        { name: 'a', agent: 'noop', dependsOn: ['c'] },
        { name: 'b', agent: 'noop', dependsOn: ['a'] },
        { name: 'c', agent: 'noop', dependsOn: ['b'] },
      ],
    });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toEqual(['stages', 0, 'dependsOn']);
    expect(issues[0]!.message).toBe('dependency cycle: a -> c -> b -> a');
  });

  it('reports unknown agent types, unknown and self dependencies, duplicates', () => {
    const issues = check({
      stages: [
        { name: 'a', agent: 'nope' },
        { name: 'a', agent: 'noop', dependsOn: ['zzz', 'a'] },
      ],
    });
    expect(issues).toEqual([
      { path: ['stages', 0, 'agent'], message: 'unknown agent type "nope"; known types: noop, scaffold' },
      { path: ['stages', 1, 'name'], message: 'duplicate stage name "a" (also stages[0])' },
      { path: ['stages', 1, 'dependsOn', 0], message: 'depends on unknown stage "zzz"' },
      { path: ['stages', 1, 'dependsOn', 1], message: 'stage "a" depends on itself' },
    ]);
  });

  it('rejects references to stages that are not upstream, and malformed references', () => {
    const issues = check({
      stages: [
        { name: 'a', agent: 'noop' },
        { name: 'b', agent: 'noop' },
        { name: 'c', agent: 'noop', dependsOn: ['a'], input: { p: { $from: 'stages.b.output' }, q: [{ $from: 'bogus.path' }], r: { $from: 'stages.x.output' } } },
      ],
    });
    const byPath = Object.fromEntries(issues.map((i) => [i.path.join('.'), i.message]));
    expect(byPath).toEqual({
      'stages.2.input.p.$from': 'references stage "b", which "c" does not depend on',
      'stages.2.input.q.0.$from': '"bogus.path" must start with "input", "item" or "stages.<stage>.output"',
      'stages.2.input.r.$from': 'references unknown stage "x"',
    });
  });
});

describe('PipelineDefinition schema', () => {
  it('rejects unknown fields and bad names with paths', () => {
    const r = PipelineDefinition.safeParse({ stages: [{ name: 'Bad Name', agent: 'noop', extra: 1 }] });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toContain('stages.0.name');
    expect(paths).toContain('stages.0');
  });
});
