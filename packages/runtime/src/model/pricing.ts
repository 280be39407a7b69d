import type { ModelUsage } from '@baton/contracts';
import type { ModelPrices } from './config.js';
import type { RawUsage } from './types.js';

/** A call's usage priced from the table (USD, rounded to a nano-dollar; 0 for an unpriced model). */
export function priced(prices: ModelPrices, model: string, u: RawUsage, calls: number): ModelUsage {
  const p = prices[model];
  const cost = p ? (u.inputTokens * p.inputPerMTok + u.outputTokens * p.outputPerMTok) / 1e6 : 0;
  return { inputTokens: u.inputTokens, outputTokens: u.outputTokens, costUsd: Math.round(cost * 1e9) / 1e9, calls };
}
