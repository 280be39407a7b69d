import { z } from 'zod';
import { JsonValue } from './json.js';
import { Labels, PipelineName, RunId } from './names.js';
import { HookName } from './triggers.js';

export const ScheduleRequest = z
  .object({
    /** A cron expression (5 fields, or 6 with seconds first), evaluated by croner. */
    cron: z.string().min(1).max(200),
    /** An IANA time zone (default UTC). */
    timezone: z.string().min(1).max(64).default('UTC'),
    pipeline: PipelineName,
    version: z.int().positive().optional(),
    input: z.record(z.string(), JsonValue).default({}),
    labels: Labels.default({}),
    /** When the previous run of this schedule is still active at a tick: skip the tick, start another anyway, or cancel it first. */
    overlap: z.enum(['skip', 'allow', 'cancel-running']).default('skip'),
    /** Ticks missed while no orchestrator ran: none are run, or only the latest one is. */
    catchUp: z.enum(['none', 'latest']).default('none'),
    paused: z.boolean().default(false),
  })
  .strict();
export type ScheduleRequest = z.infer<typeof ScheduleRequest>;

export const ScheduleView = z.object({
  name: HookName,
  cron: z.string(),
  timezone: z.string(),
  pipeline: PipelineName,
  version: z.int().positive().nullable(),
  input: z.record(z.string(), JsonValue),
  labels: Labels,
  overlap: z.enum(['skip', 'allow', 'cancel-running']),
  catchUp: z.enum(['none', 'latest']),
  paused: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The latest tick handled (run, skipped or passed over), ISO time. */
  lastTick: z.string().nullable(),
  lastRunId: RunId.nullable(),
  lastOutcome: z.enum(['started', 'skipped-overlap', 'caught-up', 'passed-over']).nullable(),
  /** The next fire times (none while paused). */
  next: z.array(z.string()),
});
export type ScheduleView = z.infer<typeof ScheduleView>;
export const ScheduleList = z.object({ items: z.array(ScheduleView) });
export type ScheduleList = z.infer<typeof ScheduleList>;
