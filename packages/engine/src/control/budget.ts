import { addUsage, totalTokens, ZERO_USAGE, type BudgetLeft, type ModelUsage, type StageError } from '@baton/contracts';
import { stageState, type RunDoc } from '../run-doc.js';

/**
 * Model spend of a run and its budget (`definition.budget`). The spend is charged in the same
 * transition that records a stage's result, so it is committed atomically with it: exact under
 * retries (a result carries all attempts of its dispatch) and under concurrent orchestrators.
 */

/** Adds a stage result's usage to the stage and to the run (doc is the transition's working copy). */
export function chargeUsage(doc: RunDoc, stage: string, usage: ModelUsage | undefined): void {
  if (!usage || usage.calls === 0) return;
  stageState(doc, stage).usage = usage;
  doc.usage = addUsage(doc.usage ?? ZERO_USAGE, usage);
}

/** What the run may still spend (null fields: no limit of that kind); undefined when it has no budget. */
export function budgetLeft(doc: RunDoc): BudgetLeft | undefined {
  const b = doc.definition.budget;
  if (!b || (b.tokens === undefined && b.costUsd === undefined)) return undefined;
  const spent = doc.usage ?? ZERO_USAGE;
  return {
    tokens: b.tokens === undefined ? null : Math.max(0, b.tokens - totalTokens(spent)),
    costUsd: b.costUsd === undefined ? null : Math.max(0, Math.round((b.costUsd - spent.costUsd) * 1e9) / 1e9),
  };
}

/** The error to fail the run with when its budget is spent (nothing left of one of its limits), else null. */
export function budgetSpent(doc: RunDoc): StageError | null {
  const left = budgetLeft(doc);
  if (!left || (left.tokens !== 0 && left.costUsd !== 0)) return null;
  const spent = doc.usage ?? ZERO_USAGE;
  return {
    code: 'RUN_BUDGET_EXCEEDED',
    message: `the run's model budget is spent (${totalTokens(spent)} tokens, $${spent.costUsd} used of ${JSON.stringify(doc.definition.budget)}); no further stage is dispatched`,
    retryable: false,
    details: { budget: doc.definition.budget ?? null, spent },
  };
}
