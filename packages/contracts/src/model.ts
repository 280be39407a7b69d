import { z } from 'zod';

/** Tokens and cost of model calls (one call, a stage attempt, a stage, or a whole run). */
export const ModelUsage = z.object({
  inputTokens: z.int().nonnegative(),
  outputTokens: z.int().nonnegative(),
  /** USD, from the configured price table (0 for a model without a price). */
  costUsd: z.number().nonnegative(),
  /** Model calls made (retried 429/529 answers included; they carry no usage). */
  calls: z.int().nonnegative(),
  /** The model of a stage's calls (the agent's configured model); absent on sums across stages. */
  model: z.string().max(200).optional(),
});
export type ModelUsage = z.infer<typeof ModelUsage>;

export const ZERO_USAGE: ModelUsage = Object.freeze({ inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 });

/** Cost sums are rounded to a nano-dollar so that adding the same calls in any order gives the same total. */
const roundCost = (usd: number) => Math.round(usd * 1e9) / 1e9;

export function addUsage(a: ModelUsage, b: ModelUsage): ModelUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costUsd: roundCost(a.costUsd + b.costUsd),
    calls: a.calls + b.calls,
  };
}

export const totalTokens = (u: ModelUsage) => u.inputTokens + u.outputTokens;

/** A run's (or pipeline's) model budget: the run fails with RUN_BUDGET_EXCEEDED once either is spent. */
export const RunBudget = z
  .object({
    tokens: z.int().positive().optional(),
    costUsd: z.number().positive().optional(),
  })
  .strict();
export type RunBudget = z.infer<typeof RunBudget>;

/** What is left of a run's budget when a stage is dispatched (null: no limit of that kind). */
export const BudgetLeft = z.object({ tokens: z.number().nullable(), costUsd: z.number().nullable() });
export type BudgetLeft = z.infer<typeof BudgetLeft>;
