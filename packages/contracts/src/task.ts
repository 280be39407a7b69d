import { z } from 'zod';
import { StageError } from './errors.js';
import { JsonObject, JsonValue } from './json.js';
import { BudgetLeft, ModelUsage } from './model.js';
import { AgentType, Labels, RunId, StageName } from './names.js';

/** Data of every BullMQ job the orchestrator places on an agent queue. */
export const TaskEnvelope = z.object({
  protocol: z.int().positive(),
  runId: RunId,
  stage: StageName,
  agent: AgentType,
  /** Increments each time the stage is dispatched anew (API retry); part of the job id. */
  dispatch: z.int().positive(),
  pipeline: z.string(),
  input: JsonValue,
  /** Outputs of the stages this one depends on directly (null for a tolerated failure). */
  upstream: z.record(z.string(), JsonValue.nullable()),
  timeoutMs: z.int().positive(),
  labels: Labels,
  /** Set on the jobs of a fan-out stage: which item this job runs (its index and value). */
  item: z.object({ index: z.int().nonnegative(), value: JsonValue }).optional(),
  /** What is left of the run's model budget at dispatch (absent: the run has no budget). */
  budget: BudgetLeft.optional(),
  /** Model usage of earlier attempts of this dispatch, carried by the runtime so the final result sums them all. */
  priorUsage: ModelUsage.optional(),
});
export type TaskEnvelope = z.infer<typeof TaskEnvelope>;

const ResultBase = {
  protocol: z.int().positive(),
  agentId: z.string(),
  agentVersion: z.string(),
  attempt: z.int().positive(),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** Model tokens and cost of every attempt of this dispatch (committed with the result, so exact under retries). */
  usage: ModelUsage.optional(),
};

/**
 * What the agent runtime returns from a job (BullMQ stores it atomically with completion, checking
 * the job lock). A final failure is returned too, as `ok: false`, so the orchestrator sees a
 * structured error; a retryable failure with attempts left is thrown instead and BullMQ retries it.
 */
export const TaskResult = z.discriminatedUnion('ok', [
  z.object({ ...ResultBase, ok: z.literal(true), output: JsonValue }),
  z.object({
    ...ResultBase,
    ok: z.literal(false),
    error: StageError,
    /**
     * Set by the runtime, never by a handler: it refused the job before the handler started (its run
     * no longer wants it, or holds it while paused). That attempt never ran; a handler's own
     * `CANCELLED` does not carry this.
     */
    refused: z.literal(true).optional(),
  }),
]);
export type TaskResult = z.infer<typeof TaskResult>;

/** Largest stage output (serialized) the platform carries; bigger results belong in artifacts. */
export const MAX_OUTPUT_BYTES = 256 * 1024;

export const RunInputLimit = JsonObject;
