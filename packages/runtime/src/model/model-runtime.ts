import type { Keys, ModelUsage, TaskEnvelope, StageProgress } from '@baton/contracts';
import type { Logger, RedisClient } from '@baton/platform';
import { AnthropicProvider } from './anthropic-provider.js';
import type { ModelConfig } from './config.js';
import { ModelSession } from './model-session.js';
import { OpenAiProvider } from './openai-provider.js';
import { ModelRateLimiter } from './rate-limit.js';
import type { ModelClient, Provider } from './types.js';

/** Where each SDK sends requests when no base URL is configured. */
export const DEFAULT_BASE_URL = { anthropic: 'https://api.anthropic.com', openai: 'https://api.openai.com/v1' } as const;

/** How an agent opts into `ctx.model`: it resolves the API key's secret reference (agent-kit's resolveSecret). */
export interface ModelOptIn {
  /** The API key for `url` (the provider's base URL): agent-kit's resolveSecret with a `model` use, so its scope is checked. */
  apiKey: (secretName: string, url: string) => string;
  /** false: the agent also runs without a model configured (ctx.model is then undefined). Default true. */
  required?: boolean;
}

export interface SessionContext {
  signal: AbortSignal;
  progress: (p: StageProgress) => void;
  /** The stage's live log, when the runtime keeps one: streamed text is written to it as it arrives. */
  output?: (text: string) => void;
  log: () => Logger;
  task: TaskEnvelope;
  overBudget: (reason: string) => void;
}

/**
 * The agent process's model connection: one SDK client and one rate limiter per process (the
 * runtime owns connections), and a fresh session per stage attempt.
 */
export class ModelRuntime {
  private readonly provider: Provider;
  private readonly limiter: ModelRateLimiter;

  constructor(
    private readonly config: ModelConfig,
    optIn: ModelOptIn,
    redis: RedisClient,
    keys: Keys,
    private readonly onCall: (pipeline: string, model: string, usage: ModelUsage) => void,
  ) {
    const apiKey = optIn.apiKey(config.apiKeySecret, config.baseURL ?? DEFAULT_BASE_URL[config.provider]);
    const opts = { apiKey, timeoutMs: config.timeoutMs, ...(config.baseURL ? { baseURL: config.baseURL } : {}) };
    this.provider = config.provider === 'anthropic' ? new AnthropicProvider(opts) : new OpenAiProvider(opts);
    this.limiter = new ModelRateLimiter(redis, keys.modelRate(config.provider, config.model), { rpm: config.rpm, tpm: config.tpm, windowMs: config.windowMs });
  }

  session(c: SessionContext): ModelClient & { usage(): ModelUsage } {
    return new ModelSession({
      config: this.config,
      provider: this.provider,
      limiter: this.limiter,
      signal: c.signal,
      progress: c.progress,
      ...(c.output ? { output: c.output } : {}),
      log: c.log,
      prior: c.task.priorUsage,
      budget: c.task.budget,
      overBudget: c.overBudget,
      onCall: (model, usage) => this.onCall(c.task.pipeline, model, usage),
    });
  }
}
