import type { JsonValue, Labels, StageProgress } from '@baton/contracts';
import type { Logger } from '@baton/platform';
import type { z } from 'zod';
import type { ArtifactWriter } from './artifacts.js';
import type { LiveLog } from './live-log.js';

/** What a handler gets for one task. */
export interface TaskContext<I> {
  input: I;
  /** Fires when the stage is cancelled, times out, or the agent is shutting down and can't wait. */
  signal: AbortSignal;
  /** Bound to runId, stage, agent, jobId and attempt. */
  log: Logger;
  /** Reports progress (a percentage, or percent + message). Throttled; the last value always lands. */
  progress: (p: number | StageProgress) => void;
  runId: string;
  stage: string;
  pipeline: string;
  jobId: string;
  attempt: number;
  maxAttempts: number;
  agentId: string;
  /** Outputs of the stages this one depends on (null for a tolerated failure). */
  upstream: Record<string, JsonValue | null>;
  labels: Labels;
  /** In a fan-out stage (`forEach`): the item this job runs; undefined elsewhere. */
  item?: JsonValue;
  /** In a fan-out stage: the item's index in the list; undefined elsewhere. */
  itemIndex?: number;
  /** The stage's live output: lines written here are streamed to GET /v1/runs/:id/stages/:stage/logs as they come. */
  output: LiveLog;
  /** Stores logs, reports and screenshots with the run (served by GET /v1/runs/:id/artifacts). */
  artifacts: ArtifactWriter;
}

export interface AgentDefinition<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  type: string;
  description?: string;
  version?: string;
  input: I;
  output: O;
  /** Default process concurrency (BATON_AGENT_CONCURRENCY overrides it). */
  concurrency?: number;
  handler: (ctx: TaskContext<z.infer<I>>) => Promise<z.input<O>>;
  /**
   * Runs once when the agent starts, before it takes its first task (e.g. clean up what a crashed
   * predecessor left on this host). A throw stops the agent from starting.
   */
  onStart?: (ctx: { log: Logger; agentId: string }) => void | Promise<void>;
}

/** Declares an agent: its type (= queue), input and output schemas, and the handler. */
export function defineAgent<I extends z.ZodType, O extends z.ZodType>(def: AgentDefinition<I, O>): AgentDefinition<I, O> {
  return def;
}
