import { z } from 'zod';
import { JsonObject, JsonValue } from './json.js';
import { Labels, RunId, StageName } from './names.js';
import { RunFilter } from './run.js';

/** The most runs one bulk call acts on; repeat the call (same Idempotency-Key) for the rest. */
export const BULK_MAX_PER_CALL = 1000;
/** How many ids a dry run lists. */
export const BULK_DRY_RUN_IDS = 20;

/** POST /v1/runs/bulk/{cancel,retry} body. */
export const BulkRunRequest = z
  .object({
    /** Which runs: the filters of GET /v1/runs (at least one; an empty filter is refused unless `runIds` is given). */
    filter: RunFilter.default({}),
    /** Instead of a filter: exactly these runs (e.g. the ones selected in the dashboard), in this order. */
    runIds: z.array(RunId).min(1).max(BULK_MAX_PER_CALL).optional(),
    /** Count the matching runs and list the first ids; change nothing. */
    dryRun: z.boolean().default(false),
    /** Act on at most this many runs (newest first). */
    limit: z.int().min(1).max(BULK_MAX_PER_CALL).default(100),
    /** Cancel only: the reason recorded on each run. */
    reason: z.string().max(500).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.filter.pipelineVersion !== undefined && r.filter.pipeline === undefined) {
      ctx.addIssue({ code: 'custom', path: ['filter', 'pipelineVersion'], message: '"pipelineVersion" needs "pipeline"' });
    }
  });
export type BulkRunRequest = z.infer<typeof BulkRunRequest>;
export type BulkRunRequestInput = z.input<typeof BulkRunRequest>;

export const BulkRunResult = z.object({
  runId: RunId,
  outcome: z.enum(['done', 'skipped']),
  /** Why a run was skipped: an error code (`INVALID_STATE`, `FORBIDDEN`, `RUN_NOT_FOUND`) or `ALREADY_DONE` (an earlier call with the same Idempotency-Key acted on it). */
  reason: z.string().nullable(),
  message: z.string().nullable(),
});
export type BulkRunResult = z.infer<typeof BulkRunResult>;

export const BulkRunResponse = z.object({
  action: z.enum(['cancel', 'retry']),
  dryRun: z.boolean(),
  /** Matching runs counted (up to `countCap`). */
  matched: z.int().nonnegative(),
  /** True when more runs match than were counted. */
  matchedCapped: z.boolean(),
  /** Dry run: the first matching ids (newest first). */
  ids: z.array(RunId),
  /** Per run acted on (empty for a dry run). */
  results: z.array(BulkRunResult),
  done: z.int().nonnegative(),
  skipped: z.int().nonnegative(),
  /** True when more runs matched than `limit`: call again for the rest. */
  more: z.boolean(),
});
export type BulkRunResponse = z.infer<typeof BulkRunResponse>;

/** POST /v1/runs/:id/fork body. */
export const ForkRequest = z
  .object({
    /** The first stage to execute again; every stage upstream of it is copied as succeeded. */
    fromStage: StageName,
    /** Replaces the run's input (shallow merge over the parent's). */
    inputOverrides: JsonObject.optional(),
    /** Replaces the recorded output of copied upstream stages, by stage name. */
    outputOverrides: z.record(StageName, JsonValue).optional(),
    /** Labels of the new run (default: the parent's). */
    labels: Labels.optional(),
  })
  .strict();
export type ForkRequest = z.infer<typeof ForkRequest>;

/** One entry of a stage dispatch's live log: a batch of lines, the truncation marker, or an attempt's end. */
export const StageLogEntry = z.object({
  /** The stream id (SSE `id`; pass it back as `after` / `Last-Event-ID`). */
  id: z.string(),
  attempt: z.int().positive(),
  kind: z.enum(['lines', 'truncated', 'end']),
  lines: z.array(z.string()).optional(),
  /** `end`: how the attempt ended (`succeeded`, `failed`). `truncated`: the cap in bytes. */
  detail: z.string().optional(),
});
export type StageLogEntry = z.infer<typeof StageLogEntry>;

export const StageLogPage = z.object({
  dispatch: z.int().nonnegative(),
  items: z.array(StageLogEntry),
  /** Pass back as `after` for the next entries; null when there are none yet. */
  nextCursor: z.string().nullable(),
  /** True when the dispatch is over and every entry was read. */
  ended: z.boolean(),
});
export type StageLogPage = z.infer<typeof StageLogPage>;
