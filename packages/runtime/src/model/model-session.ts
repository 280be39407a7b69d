import { addUsage, totalTokens, ZERO_USAGE, type BudgetLeft, type ModelUsage, type StageProgress } from '@baton/contracts';
import type { Logger } from '@baton/platform';
import { NonRetryableError, StageFailure } from '../errors.js';
import type { ModelConfig } from './config.js';
import { ProviderFailure } from './errors.js';
import { priced } from './pricing.js';
import { sleep, type ModelRateLimiter } from './rate-limit.js';
import type { ModelClient, ModelRequest, ModelResponse, Provider, RawUsage } from './types.js';

export interface ModelSessionDeps {
  config: ModelConfig;
  provider: Provider;
  limiter: ModelRateLimiter;
  /** The stage's signal: cancel, timeout and shutdown abort the HTTP request. */
  signal: AbortSignal;
  progress: (p: StageProgress) => void;
  /** The stage's live log (streamed text as it arrives), when the runtime keeps one. */
  output?: (text: string) => void;
  log: () => Logger;
  /** Usage of earlier attempts of this dispatch (carried in the job). */
  prior: ModelUsage | undefined;
  /** What is left of the run's budget at dispatch. */
  budget: BudgetLeft | undefined;
  /** Tells the stage (through its signal) that its own spend went over the run's budget. */
  overBudget: (reason: string) => void;
  /** Each call's priced usage, for metrics. */
  onCall: (model: string, usage: ModelUsage) => void;
}

const TAIL = 400;
const estimateTokens = (req: ModelRequest) => Math.ceil((JSON.stringify(req.messages).length + (req.system?.length ?? 0)) / 4);

/**
 * `ctx.model` for one stage attempt: every call waits for the fleet-wide rate limit, retries
 * 429/529/overloaded/disconnected answers inside the attempt (honouring retry-after), streams text
 * into the stage's live log and its progress, and adds its usage to the attempt's total, which the runtime returns
 * with the stage result so the engine commits it atomically with the outcome.
 */
export class ModelSession implements ModelClient {
  readonly provider;
  readonly model;
  private total: ModelUsage;

  constructor(private readonly d: ModelSessionDeps) {
    this.provider = d.provider.name;
    this.model = d.config.model;
    this.total = { ...(d.prior ?? ZERO_USAGE), model: d.config.model };
  }

  usage(): ModelUsage {
    return this.total;
  }

  /** The first limit that `u` (this dispatch's spend) goes past, or null. */
  private exceeded(u: ModelUsage, orEqual: boolean): string | null {
    const b = this.d.budget;
    if (!b) return null;
    const over = (spent: number, left: number | null) => left !== null && (orEqual ? spent >= left : spent > left);
    if (over(totalTokens(u), b.tokens)) return `the stage's model calls used ${totalTokens(u)} tokens; the run had ${b.tokens} left`;
    if (over(u.costUsd, b.costUsd)) return `the stage's model calls cost $${u.costUsd}; the run had $${b.costUsd} left`;
    return null;
  }

  private charge(model: string, u: RawUsage, calls: number): ModelUsage {
    const p = priced(this.d.config.prices, model, u, calls);
    this.total = { ...addUsage(this.total, p), model: this.d.config.model };
    this.d.onCall(model, p);
    return p;
  }

  async complete(req: ModelRequest): Promise<ModelResponse> {
    const { config, provider, limiter, signal } = this.d;
    const spent = this.exceeded(this.total, true);
    if (spent) throw new NonRetryableError('RUN_BUDGET_EXCEEDED', `no model budget left: ${spent}`);
    const left = this.d.budget?.tokens;
    const maxTokens = Math.max(1, Math.min(req.maxTokens ?? config.maxTokens, left == null ? Infinity : left - totalTokens(this.total)));
    const estimate = estimateTokens(req) + maxTokens;
    let refused = 0;
    for (let retry = 0; ; retry++) {
      await limiter.acquire(estimate, signal, (ms) =>
        this.d.progress({ message: `waiting for the ${provider.name}/${config.model} rate limit (fleet-wide): ${Math.ceil(ms / 100) / 10}s` }),
      );
      const call = new AbortController();
      const both = AbortSignal.any([signal, call.signal]);
      let streamed = '';
      const onText = (t: string) => {
        req.onText?.(t);
        this.d.output?.(t);
        streamed = (streamed + t).slice(-TAIL);
        this.d.progress({ message: `model: ${streamed}` });
      };
      const onUsage = (u: RawUsage) => {
        const reason = this.exceeded(addUsage(this.total, priced(config.prices, config.model, u, 1)), false);
        if (reason && !call.signal.aborted) {
          call.abort(new NonRetryableError('RUN_BUDGET_EXCEEDED', reason));
          this.d.overBudget(reason);
        }
      };
      try {
        const r = await provider.call(config.model, { ...req, onText }, { signal: both, maxTokens, onUsage });
        const usage = this.charge(r.model, r.usage, 1 + refused);
        await limiter.correct(r.usage.inputTokens + r.usage.outputTokens - estimate).catch(() => undefined);
        const reason = this.exceeded(this.total, false);
        if (reason) {
          this.d.overBudget(reason);
          throw new NonRetryableError('RUN_BUDGET_EXCEEDED', reason);
        }
        return { text: r.text, toolCalls: r.toolCalls, ...(r.output !== undefined ? { output: r.output } : {}), stopReason: r.stopReason, model: r.model, usage };
      } catch (e: unknown) {
        if (!(e instanceof ProviderFailure)) throw e;
        if (e.partialUsage) this.charge(config.model, e.partialUsage, 1);
        else refused++;
        // Refused calls are counted with the next answer; a call that ends the attempt counts them now.
        const settleRefused = () => {
          if (refused > 0) this.charge(config.model, { inputTokens: 0, outputTokens: 0 }, refused);
          refused = 0;
        };
        if (e.kind === 'aborted' || e.kind === 'fatal' || e.kind === 'invalid_output') settleRefused();
        if (e.kind === 'invalid_output') throw new StageFailure('MODEL_OUTPUT_INVALID', e.message);
        if (e.kind === 'aborted') throw call.signal.aborted && !signal.aborted ? (call.signal.reason as Error) : e;
        if (e.kind === 'fatal') throw new NonRetryableError('MODEL_ERROR', `${provider.name} rejected the call${e.status ? ` (HTTP ${e.status})` : ''}: ${e.message}`);
        if (retry >= config.maxRetries) {
          settleRefused();
          throw new StageFailure('MODEL_RATE_LIMITED', `${provider.name} kept refusing the call after ${retry + 1} tries (last: ${e.kind}${e.status ? ` ${e.status}` : ''})`);
        }
        const backoff = Math.min(config.retryMaxWaitMs, e.retryAfterMs ?? Math.min(30_000, 500 * 2 ** retry));
        this.d.log().warn({ kind: e.kind, status: e.status, retryAfterMs: e.retryAfterMs, waitMs: backoff, retry: retry + 1 }, 'model call refused; retrying within the attempt');
        this.d.progress({ message: `${provider.name} answered ${e.status ?? e.kind} (${e.kind}); retrying in ${Math.ceil(backoff / 100) / 10}s (try ${retry + 2})` });
        await sleep(backoff, signal);
      }
    }
  }
}
