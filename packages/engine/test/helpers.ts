import { PipelineDefinition, type JsonObject, type JsonValue, type PipelineDefinitionInput } from '@baton/contracts';
import { EngineError } from '../src/engine-error.js';
import { createRun, markFinished, type NewRun } from '../src/reducer.js';
import type { RunDoc } from '../src/run-doc.js';

export function newRun(def: PipelineDefinitionInput, input: JsonObject = {}, extra: Partial<NewRun> = {}): RunDoc {
  return createRun({
    id: 'run_01M7Y673N5R6MF5373N0YQW6N1',
    pipeline: { name: 'p', version: 1 },
    definition: PipelineDefinition.parse(def),
    input,
    labels: {},
    now: 1000,
    createdBy: null,
    ...extra,
  }).doc;
}

export const statuses = (d: RunDoc) => Object.fromEntries(Object.entries(d.stages).map(([n, s]) => [n, s.status]));

/** The stage's job succeeded with `output`. */
export function finish(d: RunDoc, stage: string, output: JsonValue = {}, now = 2000): RunDoc {
  const outcome = { ok: true as const, output, agentId: 'ag', attempt: 1, startedAt: now - 10, finishedAt: now };
  const t = markFinished(d, { stage, dispatch: d.stages[stage]!.dispatch, outcome }, now);
  if (!t) throw new Error(`stage ${stage} was not live`);
  return t.doc;
}

export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e: unknown) {
    if (e instanceof EngineError) return e.code;
    throw e;
  }
  throw new Error('expected an EngineError');
}
