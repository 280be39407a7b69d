import type { ForkRequest, PipelineDefinition } from '@baton/contracts';
import { EngineError } from '../engine-error.js';
import { createRun, retry, type Transition } from '../reducer.js';
import { copyDoc, type RunDoc, type StageState } from '../run-doc.js';

/** Every stage `stage` depends on, directly or through others. */
export function upstreamOf(def: PipelineDefinition, stage: string): Set<string> {
  const byName = new Map(def.stages.map((s) => [s.name, s]));
  const out = new Set<string>();
  const visit = (name: string) => {
    for (const dep of byName.get(name)?.dependsOn ?? []) {
      if (out.has(dep)) continue;
      out.add(dep);
      visit(dep);
    }
  };
  visit(stage);
  return out;
}

export interface NewFork {
  id: string;
  now: number;
  createdBy: string | null;
  request: ForkRequest;
}

/**
 * A new run of the parent's pipeline version whose stages upstream of `fromStage` are succeeded
 * with the parent's recorded outputs (or the overrides); everything else runs. Built as the parent's
 * shape with those stages copied and the rest cancelled, then retried from `fromStage` by the
 * ordinary retry transition, so queueing and skipping follow the reducer's one set of rules.
 */
export function forkRun(parent: RunDoc, f: NewFork): Transition {
  const { fromStage, inputOverrides, outputOverrides, labels } = f.request;
  if (!parent.stages[fromStage]) {
    throw new EngineError('INVALID_REQUEST', `run ${parent.id} has no stage "${fromStage}"`, [
      { path: ['fromStage'], message: `unknown stage "${fromStage}"; stages: ${Object.keys(parent.stages).join(', ')}` },
    ]);
  }
  const upstream = upstreamOf(parent.definition, fromStage);
  for (const name of Object.keys(outputOverrides ?? {})) {
    if (!upstream.has(name)) {
      throw new EngineError('INVALID_REQUEST', `"${name}" is not upstream of "${fromStage}"; only upstream outputs can be overridden`, [
        { path: ['outputOverrides', name], message: `upstream of "${fromStage}": ${[...upstream].join(', ') || 'none'}` },
      ]);
    }
  }
  const notDone = [...upstream].filter((n) => parent.stages[n]!.status !== 'succeeded' && outputOverrides?.[n] === undefined);
  if (notDone.length > 0) {
    throw new EngineError('INVALID_STATE', `cannot fork run ${parent.id} from "${fromStage}": upstream stage(s) ${notDone.join(', ')} did not succeed (give outputOverrides for them)`);
  }
  const created = createRun({
    id: f.id,
    pipeline: parent.pipeline,
    definition: parent.definition,
    input: { ...parent.input, ...inputOverrides },
    labels: labels ?? parent.labels,
    now: f.now,
    createdBy: f.createdBy,
  });
  const shape = copyDoc(created.doc);
  for (const name of Object.keys(shape.stages)) {
    const copied = upstream.has(name);
    const output = copied ? (outputOverrides?.[name] !== undefined ? outputOverrides[name]! : parent.stages[name]!.output) : null;
    const st: StageState = {
      status: copied ? 'succeeded' : 'cancelled',
      dispatch: 0,
      attempts: 0,
      agentId: null,
      queuedAt: null,
      startedAt: copied ? f.now : null,
      finishedAt: f.now,
      progress: null,
      output,
      error: null,
    };
    shape.stages[name] = st;
  }
  shape.status = 'cancelled';
  shape.finishedAt = f.now;
  shape.forkedFrom = { runId: parent.id, fromStage };
  const t = retry(shape, fromStage, f.now);
  // The new run's history: created, then its first stages queued (not a retry of anything).
  const events = [created.events[0]!, ...t.events.filter((e) => e.type !== 'run.retried')];
  return { doc: t.doc, events };
}

/** The parent's side of the link (no event; `updatedAt` unchanged, so the bulk actions' claims still hold). */
export function linkFork(parent: RunDoc, childId: string): Transition | null {
  if (parent.forks?.includes(childId)) return null;
  const doc = copyDoc(parent);
  doc.forks = [...(parent.forks ?? []), childId];
  return { doc, events: [] };
}
