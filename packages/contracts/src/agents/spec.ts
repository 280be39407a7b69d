import type { z } from 'zod';

/** A catalogue entry: what an agent type accepts and returns. Shared by the agent and the orchestrator. */
export interface AgentSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly description: string;
  readonly input: I;
  readonly output: O;
  /** Suggested process concurrency for the fleet. */
  readonly concurrency: number;
}

export function agentSpec<I extends z.ZodType, O extends z.ZodType>(spec: AgentSpec<I, O>): AgentSpec<I, O> {
  return spec;
}
