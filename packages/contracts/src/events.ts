import { z } from 'zod';
import { StageError } from './errors.js';
import { JsonValue } from './json.js';
import { StageCondition, StageProgress } from './run.js';

const base = { runId: z.string(), at: z.string() };
const stage = { ...base, stage: z.string() };

/** Everything that happens to a run, in order. Stored in the run's events stream; streamed over SSE. */
export const RunEvent = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('run.created'), pipeline: z.string(), version: z.int().nullable() }),
  z.object({ ...base, type: z.literal('run.started') }),
  z.object({ ...base, type: z.literal('run.paused') }),
  z.object({ ...base, type: z.literal('run.resumed') }),
  z.object({ ...base, type: z.literal('run.retried'), fromStage: z.string().nullable(), stages: z.array(z.string()) }),
  z.object({ ...base, type: z.literal('run.succeeded') }),
  z.object({ ...base, type: z.literal('run.failed'), error: StageError }),
  z.object({ ...base, type: z.literal('run.cancelled'), reason: z.string().nullable() }),
  z.object({ ...stage, type: z.literal('stage.queued'), agent: z.string(), dispatch: z.int() }),
  z.object({ ...stage, type: z.literal('stage.started'), agentId: z.string().nullable(), attempt: z.int() }),
  z.object({ ...stage, type: z.literal('stage.progress'), progress: StageProgress }),
  z.object({ ...stage, type: z.literal('stage.retrying'), attempt: z.int(), error: z.string() }),
  z.object({ ...stage, type: z.literal('stage.succeeded'), output: JsonValue, durationMs: z.int().nullable() }),
  z.object({ ...stage, type: z.literal('stage.failed'), error: StageError }),
  z.object({ ...stage, type: z.literal('stage.skipped'), reason: z.string(), condition: StageCondition.optional() }),
  z.object({ ...stage, type: z.literal('stage.cancelled') }),
  z.object({ ...stage, type: z.literal('stage.items'), total: z.int().nonnegative(), maxParallel: z.int().positive() }),
  z.object({ ...stage, type: z.literal('stage.item.started'), item: z.int().nonnegative(), agentId: z.string().nullable(), attempt: z.int() }),
  z.object({ ...stage, type: z.literal('stage.item.retrying'), item: z.int().nonnegative(), attempt: z.int(), error: z.string() }),
  z.object({ ...stage, type: z.literal('stage.item.succeeded'), item: z.int().nonnegative(), durationMs: z.int().nullable() }),
  z.object({ ...stage, type: z.literal('stage.item.failed'), item: z.int().nonnegative(), error: StageError }),
  z.object({ ...base, type: z.literal('run.signalled'), signal: z.string(), delivered: z.array(z.string()), buffered: z.boolean() }),
  z.object({ ...stage, type: z.literal('stage.waiting'), message: z.string(), until: z.string().nullable() }),
]);
export type RunEvent = z.infer<typeof RunEvent>;
export type RunEventType = RunEvent['type'];

export const TERMINAL_RUN_EVENTS: ReadonlySet<RunEventType> = new Set(['run.succeeded', 'run.failed', 'run.cancelled']);
