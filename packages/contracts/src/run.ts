import { z } from 'zod';
import { ApprovalSpec } from './approval.js';
import { StageError } from './errors.js';
import { ForEachView } from './for-each.js';
import { JsonObject, JsonValue } from './json.js';
import { ModelUsage, RunBudget } from './model.js';
import { AgentType, Labels, PipelineName, RunId, StageName } from './names.js';
import { PipelineDefinition, RunDeadlineMs } from './pipeline.js';
import { WaitForSpec } from './signal.js';

export const RUN_STATUSES = ['queued', 'running', 'waiting', 'paused', 'succeeded', 'failed', 'cancelled'] as const;
export const RunStatus = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatus>;
export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled']);

export const STAGE_STATUSES = ['pending', 'queued', 'running', 'waiting', 'succeeded', 'failed', 'skipped', 'cancelled'] as const;
export const StageStatus = z.enum(STAGE_STATUSES);
export type StageStatus = z.infer<typeof StageStatus>;
export const TERMINAL_STAGE_STATUSES: ReadonlySet<StageStatus> = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);

export const RunPriority = z.int().min(1).max(10);
export const DEFAULT_RUN_PRIORITY = 5;

/** POST /v1/runs body: a registered pipeline by name (optionally pinned to a version) or an inline definition. */
export const RunRequest = z
  .object({
    pipeline: PipelineName.optional(),
    version: z.int().positive().optional(),
    definition: PipelineDefinition.optional(),
    input: JsonObject.default({}),
    labels: Labels.optional(),
    /** 1 (lowest) to 10 (highest); its stages' jobs are taken before lower-priority ones. Default 5. */
    priority: RunPriority.optional(),
    /** Fail the run with RUN_DEADLINE_EXCEEDED this long after it is created (overrides the pipeline's). */
    deadlineMs: RunDeadlineMs.optional(),
    /** Model spend limit of this run (replaces the pipeline's `budget`). */
    budget: RunBudget.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if ((r.pipeline === undefined) === (r.definition === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['pipeline'], message: 'give exactly one of "pipeline" or "definition"' });
    }
    if (r.version !== undefined && r.pipeline === undefined) {
      ctx.addIssue({ code: 'custom', path: ['version'], message: '"version" needs "pipeline"' });
    }
  });
export type RunRequest = z.infer<typeof RunRequest>;
export type RunRequestInput = z.input<typeof RunRequest>;

export const StageProgress = z
  .object({
    percent: z.number().min(0).max(100).optional(),
    message: z.string().max(500).optional(),
  })
  .strict();
export type StageProgress = z.infer<typeof StageProgress>;

/** A `when` condition as evaluated at dispatch. */
export const StageCondition = z.object({
  expression: z.string(),
  result: z.boolean(),
  /** Each `input.…` / `stages.….` path the expression reads, with the value it had (null when absent). */
  values: z.record(z.string(), JsonValue),
});
export type StageCondition = z.infer<typeof StageCondition>;

/** The input one dispatch of a stage received (its attempts share it). */
export const ResolvedInput = z.object({ dispatch: z.int().positive(), input: JsonValue, truncated: z.boolean() });
export type ResolvedInput = z.infer<typeof ResolvedInput>;

export const StageView = z.object({
  name: StageName,
  agent: AgentType,
  dependsOn: z.array(StageName),
  /** The stage's input as defined; `$from` references in it are resolved at dispatch. */
  input: JsonObject.optional(),
  status: StageStatus,
  /** Attempts started for the current dispatch (resets when the stage is retried from the API). */
  attempts: z.int().nonnegative(),
  maxAttempts: z.int().positive(),
  agentId: z.string().nullable(),
  queuedAt: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  durationMs: z.int().nullable(),
  progress: StageProgress.nullable(),
  output: JsonValue.nullable(),
  error: StageError.nullable(),
  /**
   * The input the current dispatch received, `$from` references resolved (values under secret-looking
   * keys redacted; above 16 KiB a preview with `truncated: true`). Only in GET /v1/runs/:id.
   */
  resolvedInput: ResolvedInput.nullable().optional(),
  /** The resolved input of every dispatch of the stage so far (retried from the API: one each), oldest first. Only in GET /v1/runs/:id. */
  resolvedInputs: z.array(ResolvedInput).optional(),
  /** Why a queued stage is not running, or a running one makes no progress, when the orchestrator can tell (no alive agent; its agent is wedged). */
  waitingReason: z.string().nullable().optional(),
  /** An approval stage's gate (who may decide, the message, the timeout); absent on agent stages. */
  approval: ApprovalSpec.optional(),
  /** A fan-out stage's items (absent on other stages, and before the list is known). */
  items: ForEachView.optional(),
  /** When a waiting approval stage times out (absent when it waits forever or is not waiting). */
  waitingUntil: z.string().nullable().optional(),
  /** An approval stage's message with its `{{ ... }}` references resolved (once it is waiting). */
  message: z.string().optional(),
  /** A signal stage's wait (signal name, timeout, payload schema); absent on other stages. */
  waitFor: WaitForSpec.optional(),
  /** The stage's `when` condition, and once evaluated its result and the values it read. */
  when: z.string().optional(),
  condition: StageCondition.nullable().optional(),
  /** Model tokens and cost of the stage's current dispatch, all attempts (absent when it made no model call). */
  usage: ModelUsage.optional(),
});
export type StageView = z.infer<typeof StageView>;

export const RunView = z.object({
  id: RunId,
  status: RunStatus,
  pipeline: z.object({ name: z.string(), version: z.int().nullable() }),
  input: JsonObject,
  labels: Labels,
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  updatedAt: z.string(),
  error: StageError.nullable(),
  /** API key id of the submitter (null when auth is disabled). */
  createdBy: z.string().nullable(),
  /** Stages waiting for a decision or a signal, in definition order. */
  waitingOn: z.array(StageName).optional(),
  /** 1-10, higher first (default 5). */
  priority: RunPriority.optional(),
  /** When the run fails with RUN_DEADLINE_EXCEEDED unless finished (null: no deadline). */
  deadlineAt: z.string().nullable().optional(),
  /** Model tokens and cost of every stage attempt of the run so far, retries and re-runs included. */
  usage: ModelUsage.optional(),
  /** The run's model budget, when it has one. */
  budget: RunBudget.optional(),
  /** The run this one was forked from, and the stage it re-executes from (null: not a fork). */
  forkedFrom: z.object({ runId: RunId, fromStage: StageName }).nullable().optional(),
  /** Runs forked from this one, oldest first. */
  forks: z.array(RunId).optional(),
  stages: z.array(StageView),
});
export type RunView = z.infer<typeof RunView>;

export const RunSummary = RunView.pick({
  id: true,
  status: true,
  pipeline: true,
  labels: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  updatedAt: true,
  error: true,
  createdBy: true,
  priority: true,
});
export type RunSummary = z.infer<typeof RunSummary>;

export const RunList = z.object({ items: z.array(RunSummary), nextCursor: z.string().nullable() });
export type RunList = z.infer<typeof RunList>;

/** A label filter, `key:value` (label keys cannot contain ":"). */
export const LabelFilter = z
  .string()
  .max(320)
  .regex(/^[a-z0-9][a-z0-9._/-]{0,62}:/i, 'a label filter is "key:value"');

/** Filters of the run list and of the bulk actions; every given filter must match (AND). */
export const RunFilter = z
  .object({
    status: RunStatus.optional(),
    pipeline: z.string().max(63).optional(),
    /** Only with `pipeline`. */
    pipelineVersion: z.coerce.number().int().positive().optional(),
    /** `key:value`; repeat the parameter for several labels (all must match). */
    label: z.union([LabelFilter, z.array(LabelFilter).max(10)]).optional(),
    /** API key id of the submitter. */
    createdBy: z.string().min(1).max(100).optional(),
    /** Created at or after this instant. */
    createdAfter: z.iso.datetime({ offset: true }).optional(),
    /** Created strictly before this instant. */
    createdBefore: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type RunFilter = z.infer<typeof RunFilter>;

export const RunListQuery = RunFilter.extend({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
})
  .strict()
  .superRefine((q, ctx) => {
    if (q.pipelineVersion !== undefined && q.pipeline === undefined) {
      ctx.addIssue({ code: 'custom', path: ['pipelineVersion'], message: '"pipelineVersion" needs "pipeline"' });
    }
  });
export type RunListQuery = z.infer<typeof RunListQuery>;

export const RetryRequest = z.object({ fromStage: StageName.optional() }).strict();
export type RetryRequest = z.infer<typeof RetryRequest>;

export const CancelRequest = z.object({ reason: z.string().max(500).optional() }).strict();
export type CancelRequest = z.infer<typeof CancelRequest>;
