import {
  JsonObject,
  JsonValue,
  Labels,
  ModelUsage,
  PipelineDefinition,
  RunStatus,
  StageCondition,
  StageError,
  StageProgress,
  StageStatus,
} from '@baton/contracts';
import { z } from 'zod';

/** Engine-internal state of one stage. Times are epoch milliseconds. */
export const StageState = z.object({
  status: StageStatus,
  /** 0 = never dispatched; incremented on every new dispatch (initial, or API retry / resume after pause). */
  dispatch: z.int().nonnegative(),
  /**
   * Attempts used by the stage since it was last (re)queued by the run's start or an API retry:
   * those of the current dispatch plus `attemptBase`.
   */
  attempts: z.int().nonnegative(),
  /**
   * Attempts spent by earlier dispatches whose jobs a pause took back (control/pause.ts): the
   * current job's own attempt numbers are offset by this, and it gets only the attempts left.
   * Absent in documents written before it existed (= 0).
   */
  attemptBase: z.int().nonnegative().optional(),
  /**
   * The current dispatch was live while the run was paused, so its job was held (superseded.ts): a
   * result marked `refused` for it, applied then or after the resume, is an agent refusing the held
   * job (a handler's own `CANCELLED` is not).
   */
  held: z.boolean().optional(),
  agentId: z.string().nullable(),
  queuedAt: z.number().nullable(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  progress: StageProgress.nullable(),
  output: JsonValue.nullable(),
  error: StageError.nullable(),
  /** A fan-out stage's items, once its list is known (control/for-each.ts). */
  fanOut: z
    .object({
      /** One character per item (ITEM_STATE): p pending, q queued, r running, s succeeded, f failed, c cancelled. */
      s: z.string(),
      /** Attempts started per item. */
      a: z.array(z.int().nonnegative()),
      /** Item outputs in order (null until an item succeeds); moved to the stage's output when it finishes. */
      out: z.array(JsonValue).nullable(),
      /** Errors of the items that failed for good, by item index. */
      err: z.record(z.string(), StageError),
    })
    .optional(),
  /** A `when` condition's evaluation (control/conditions.ts); absent until evaluated. */
  condition: StageCondition.optional(),
  /** An approval stage's rendered message, set when it starts waiting. */
  message: z.string().optional(),
  /** Model usage of the current dispatch's result, all its attempts (control/budget.ts). */
  usage: ModelUsage.optional(),
});
export type StageState = z.infer<typeof StageState>;

export const SlotState = z.object({
  /** The resolved key value. */
  key: z.string(),
  limit: z.int().positive(),
  status: z.enum(['waiting', 'held']),
  /** While waiting: a run holding the key when it was last tried (for the waiting reason). */
  heldBy: z.string().nullable(),
  /** While waiting: the stages that wait for this slot (they go back to pending once it is held). */
  stages: z.array(z.string()),
});
export type SlotState = z.infer<typeof SlotState>;

/**
 * The whole state of a run, stored as one JSON document (plus a revision counter) in the run's
 * Redis hash. Every transition replaces it atomically (see store/commit-run-transition.lua).
 */
export const RunDoc = z.object({
  schema: z.literal(1),
  id: z.string(),
  pipeline: z.object({ name: z.string(), version: z.int().nullable() }),
  definition: PipelineDefinition,
  input: JsonObject,
  labels: Labels,
  status: RunStatus,
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  updatedAt: z.number(),
  error: StageError.nullable(),
  cancelReason: z.string().nullable(),
  /** API key id of the submitter (null when auth is disabled). */
  createdBy: z.string().nullable().default(null),
  /** 1-10, higher first; reaches every stage job as its BullMQ priority (control/priority.ts). */
  priority: z.int().min(1).max(10).optional(),
  /** Epoch ms after which the run fails with RUN_DEADLINE_EXCEEDED (control/deadline.ts). */
  deadlineAt: z.number().nullable().optional(),
  /** Signals that arrived before their stage waited, by name (control/signal.ts). */
  signals: z.record(z.string(), z.object({ payload: JsonValue, at: z.number() })).optional(),
  stages: z.record(z.string(), StageState),
  /**
   * Concurrency slots the run waits for or holds, by scope (`$run` for the pipeline's key, else the
   * stage's name); see control/concurrency.ts. Taken and released in the same commit as this document.
   */
  slots: z.record(z.string(), SlotState).optional(),
  /** Model usage of every stage result of the run, re-runs included (control/budget.ts). */
  usage: ModelUsage.optional(),
  /** The run this one was forked from (POST /v1/runs/:id/fork), and at which stage. */
  forkedFrom: z.object({ runId: z.string(), fromStage: z.string() }).nullable().optional(),
  /** Runs forked from this one, oldest first. */
  forks: z.array(z.string()).optional(),
});
export type RunDoc = z.infer<typeof RunDoc>;

/**
 * A stored run document. Only this engine writes them, always from a RunDoc, so reading one skips
 * the full schema parse (the hot path reads a run per result); the version and the one defaulted
 * field are still checked.
 */
export function readDoc(json: string): RunDoc {
  const doc = JSON.parse(json) as RunDoc;
  if (doc?.schema !== 1 || typeof doc.stages !== 'object') throw new Error(`unreadable run document (schema ${String(doc?.schema)})`);
  doc.createdBy ??= null;
  return doc;
}

/**
 * A copy of a run document for a transition to change. Transitions assign fields of the document
 * and of its stages and replace whole values below them (outputs, errors, progress), never change
 * anything inside those; so copying these two levels keeps the original intact, without copying
 * the definition, input and outputs each time (the reducer's tests check the original is untouched).
 */
export function copyDoc(doc: RunDoc): RunDoc {
  const stages: RunDoc['stages'] = {};
  for (const [name, st] of Object.entries(doc.stages)) stages[name] = { ...st };
  return { ...doc, stages, ...(doc.slots ? { slots: { ...doc.slots } } : {}) };
}

export function stageDef(doc: RunDoc, name: string) {
  const def = doc.definition.stages.find((s) => s.name === name);
  if (!def) throw new Error(`run ${doc.id} has no stage ${name}`);
  return def;
}

export function stageState(doc: RunDoc, name: string): StageState {
  const st = doc.stages[name];
  if (!st) throw new Error(`run ${doc.id} has no stage state ${name}`);
  return st;
}
