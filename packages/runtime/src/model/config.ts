import { z } from 'zod';

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

/** Price of a model in USD per million tokens. */
export const ModelPrice = z.object({ inputPerMTok: z.number().nonnegative(), outputPerMTok: z.number().nonnegative() }).strict();
export type ModelPrice = z.infer<typeof ModelPrice>;

export const ModelPrices = z.record(z.string().min(1), ModelPrice);
export type ModelPrices = z.infer<typeof ModelPrices>;

const pricesJson = z
  .string()
  .default('{}')
  .transform((s, ctx) => {
    try {
      const r = ModelPrices.safeParse(JSON.parse(s));
      if (r.success) return r.data;
      ctx.addIssue({ code: 'custom', message: `not a price table: ${r.error.issues[0]?.message ?? ''} (expected {"<model>": {"inputPerMTok": n, "outputPerMTok": n}})` });
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not JSON' });
    }
    return z.NEVER;
  });

/** The model provider of agents that opt into `ctx.model` (see docs/sdlc-agents.md "Model-backed agents"). */
export const ModelEnv = z.object({
  BATON_MODEL_PROVIDER: z.enum(['anthropic', 'openai']).optional(),
  /** The provider's base URL (Anthropic: without /v1; OpenAI-compatible: with /v1). Default: the provider's public API. */
  BATON_MODEL_BASE_URL: z.url().optional(),
  BATON_MODEL_NAME: z.string().min(1).optional(),
  /** The name of the BATON_SECRET_* variable that holds the API key (never the key itself). */
  BATON_MODEL_API_KEY_SECRET: z
    .string()
    .regex(/^BATON_SECRET_[A-Z0-9_]+$/, 'must name a BATON_SECRET_* variable')
    .optional(),
  /** Price table, JSON: {"<model>": {"inputPerMTok": 3, "outputPerMTok": 15}}. A model without a price costs 0. */
  BATON_MODEL_PRICES: pricesJson,
  /** Fleet-wide limits of this provider + model, shared through Redis (0: none). */
  BATON_MODEL_RPM: int(0),
  BATON_MODEL_TPM: int(0),
  /** The limits' window (60000 = per minute; tests shorten it). */
  BATON_MODEL_RATE_WINDOW_MS: int(60_000, 100),
  /** 429/529/overloaded/disconnected answers retried within one stage attempt (they do not use the stage's attempts). */
  BATON_MODEL_MAX_RETRIES: int(8),
  /** Longest single wait between those retries, whatever retry-after says. */
  BATON_MODEL_RETRY_MAX_WAIT_MS: int(60_000, 0),
  BATON_MODEL_MAX_TOKENS: int(4096, 1),
  BATON_MODEL_TIMEOUT_MS: int(600_000, 1000),
});
export type ModelEnv = z.infer<typeof ModelEnv>;

/** A resolved model configuration (what startAgent takes). */
export interface ModelConfig {
  provider: 'anthropic' | 'openai';
  baseURL?: string;
  model: string;
  /** The BATON_SECRET_* name of the API key; the agent's secret resolver turns it into the key. */
  apiKeySecret: string;
  prices: ModelPrices;
  rpm: number;
  tpm: number;
  windowMs: number;
  maxRetries: number;
  retryMaxWaitMs: number;
  maxTokens: number;
  timeoutMs: number;
}

/** The model configuration of the environment, or why it is incomplete (null: none configured). */
export function modelConfigFromEnv(env: ModelEnv): ModelConfig | { missing: string[] } | null {
  if (!env.BATON_MODEL_PROVIDER && !env.BATON_MODEL_NAME) return null;
  const missing = (['BATON_MODEL_PROVIDER', 'BATON_MODEL_NAME', 'BATON_MODEL_API_KEY_SECRET'] as const).filter((k) => !env[k]);
  if (missing.length > 0) return { missing };
  return {
    provider: env.BATON_MODEL_PROVIDER!,
    ...(env.BATON_MODEL_BASE_URL ? { baseURL: env.BATON_MODEL_BASE_URL } : {}),
    model: env.BATON_MODEL_NAME!,
    apiKeySecret: env.BATON_MODEL_API_KEY_SECRET!,
    prices: env.BATON_MODEL_PRICES,
    rpm: env.BATON_MODEL_RPM,
    tpm: env.BATON_MODEL_TPM,
    windowMs: env.BATON_MODEL_RATE_WINDOW_MS,
    maxRetries: env.BATON_MODEL_MAX_RETRIES,
    retryMaxWaitMs: env.BATON_MODEL_RETRY_MAX_WAIT_MS,
    maxTokens: env.BATON_MODEL_MAX_TOKENS,
    timeoutMs: env.BATON_MODEL_TIMEOUT_MS,
  };
}
