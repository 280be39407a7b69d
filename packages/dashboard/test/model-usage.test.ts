import { describe, expect, it } from 'vitest';
import { modelBudget, modelUsage } from '../src/format.js';

describe('dashboard: model usage text', () => {
  it('shows tokens, the in/out split, cost and calls', () => {
    expect(modelUsage({ inputTokens: 1200, outputTokens: 34, costUsd: 0.00411, calls: 3 })).toBe('1,234 tokens (in 1,200 · out 34) · $0.0041 · 3 calls');
    expect(modelUsage({ inputTokens: 1, outputTokens: 0, costUsd: 0, calls: 1 })).toBe('1 tokens (in 1 · out 0) · $0.0000 · 1 call');
  });
  it('shows the limits a budget has', () => {
    expect(modelBudget({ tokens: 5000, costUsd: 1 })).toBe('budget 5,000 tokens, $1');
    expect(modelBudget({ costUsd: 0.5 })).toBe('budget $0.5');
  });
});
