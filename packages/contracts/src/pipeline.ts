import { z } from 'zod';
import { ApprovalSpec, APPROVAL_AGENT } from './approval.js';
import { ConcurrencySpec } from './concurrency.js';
import { ForEachSpec } from './for-each.js';
import { JsonObject } from './json.js';
import { WaitForSpec } from './signal.js';
import { AgentType, PipelineName, StageName } from './names.js';

export const Backoff = z
  .object({
    type: z.enum(['fixed', 'exponential']).default('exponential'),
    delayMs: z.int().min(0).max(3_600_000).default(1000),
  })
  .strict();
export type Backoff = z.infer<typeof Backoff>;

export const RetryPolicy = z
  .object({
    /** Total attempts including the first. 1 = no retries. */
    maxAttempts: z.int().min(1).max(25).default(1),
    backoff: Backoff.default({ type: 'exponential', delayMs: 1000 }),
  })
  .strict();
export type RetryPolicy = z.infer<typeof RetryPolicy>;

/** What the run does when this stage fails for good: fail the whole run, or tolerate it and continue. */
export const OnFailure = z.enum(['fail-run', 'continue']);
export type OnFailure = z.infer<typeof OnFailure>;

/** A whole run's deadline, from its creation: when it passes the run fails with RUN_DEADLINE_EXCEEDED. */
export const RunDeadlineMs = z.int().min(1000).max(30 * 86_400_000);

export const StageDefinition = z
  .object({
    name: StageName,
    /** The agent type that runs the stage; an approval stage leaves it out (it is then "approval"). */
    agent: AgentType.default(APPROVAL_AGENT),
    /** Makes the stage an approval gate instead of a job (see approval.ts). */
    approval: ApprovalSpec.optional(),
    /** Runs the stage once per item of a list computed upstream (see for-each.ts). */
    forEach: ForEachSpec.optional(),
    /** At most `limit` runs hold this stage's key value at once (see concurrency.ts). */
    concurrency: ConcurrencySpec.optional(),
    /** Makes the stage wait for a signal (`POST /v1/runs/:id/signals/:name`) instead of a job. */
    waitFor: WaitForSpec.optional(),
    /**
     * A CEL expression over `input` and `stages.<upstream>.output` / `.status`, evaluated when the
     * stage is ready; false -> the stage is `skipped` (with the expression and the values it saw).
     */
    when: z.string().min(1).max(2000).optional(),
    /**
     * What this stage does when an upstream stage was skipped: `skip` too (the default) or `run`
     * anyway (a skipped stage's output is then null; `$from` defaults apply).
     */
    onUpstreamSkipped: z.enum(['skip', 'run']).optional(),
    dependsOn: z.array(StageName).max(64).default([]),
    /**
     * Static JSON, in which any object of the form `{ "$from": "<path>", "default"?: any }` is replaced
     * at dispatch time. Paths: `input`, `input.a.b`, `stages.<name>.output`, `stages.<name>.output.a.0`,
     * and in a fan-out stage (`forEach`) `item` and `item.a.b` (the current item).
     * A stage may only reference stages it (transitively) depends on.
     */
    input: JsonObject.default({}),
    timeoutMs: z.int().min(100).max(86_400_000).default(300_000),
    retry: RetryPolicy.default({ maxAttempts: 1, backoff: { type: 'exponential', delayMs: 1000 } }),
    onFailure: OnFailure.default('fail-run'),
  })
  .strict();
export type StageDefinition = z.infer<typeof StageDefinition>;
export type StageDefinitionInput = z.input<typeof StageDefinition>;

export const PipelineDefinition = z
  .object({
    description: z.string().max(1000).optional(),
    /** At most `limit` runs of this key value are active at once, whole runs (see concurrency.ts). */
    concurrency: ConcurrencySpec.optional(),
    stages: z.array(StageDefinition).min(1).max(100),
    /** Default deadline of the pipeline's runs (a run request may set its own). */
    deadlineMs: RunDeadlineMs.optional(),
  })
  .strict();
export type PipelineDefinition = z.infer<typeof PipelineDefinition>;
export type PipelineDefinitionInput = z.input<typeof PipelineDefinition>;

export const PipelineView = z.object({
  name: PipelineName,
  version: z.int().positive(),
  createdAt: z.string(),
  definition: PipelineDefinition,
});
export type PipelineView = z.infer<typeof PipelineView>;

export const PipelineList = z.object({ items: z.array(PipelineView) });
export type PipelineList = z.infer<typeof PipelineList>;
