import type { ModelUsage } from '@baton/contracts';

/** A provider-neutral conversation turn. */
export type ModelMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ModelToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string };

export interface ModelTool {
  name: string;
  description?: string;
  /** JSON schema of the tool's arguments (an object schema). */
  parameters: Record<string, unknown>;
}

export interface ModelToolCall {
  id: string;
  name: string;
  /** The parsed arguments (the providers stream them as JSON text). */
  arguments: unknown;
}

export interface ModelRequest {
  system?: string;
  messages: ModelMessage[];
  tools?: ModelTool[];
  /**
   * Ask for structured output matching this JSON schema (an object schema). Anthropic: a forced
   * `respond` tool; OpenAI: `response_format: json_schema`. The parsed value comes back as `output`.
   */
  output?: { name?: string; schema: Record<string, unknown> };
  maxTokens?: number;
  temperature?: number;
  /** Called with each piece of streamed text (also reported as stage progress). */
  onText?: (delta: string) => void;
}

export type ModelStopReason = 'end' | 'max_tokens' | 'tool_use' | 'other';

export interface ModelResponse {
  text: string;
  toolCalls: ModelToolCall[];
  /** The structured output (when the request asked for one), parsed but not yet validated. */
  output?: unknown;
  stopReason: ModelStopReason;
  model: string;
  /** This call's usage (input, output, cost, calls = 1 + retried answers). */
  usage: ModelUsage;
}

/** What a handler uses: `ctx.model` (present when the agent definition opts in with `model: ...`). */
export interface ModelClient {
  readonly provider: ProviderName;
  readonly model: string;
  /** One model call: rate-limited fleet-wide, retried on 429/529/overload, streamed, aborted with the stage. */
  complete(req: ModelRequest): Promise<ModelResponse>;
  /** Usage of this stage so far (earlier attempts included). */
  usage(): ModelUsage;
}

export type ProviderName = 'anthropic' | 'openai';

/** Usage as a provider reported it for one HTTP call (before pricing). */
export interface RawUsage {
  inputTokens: number;
  outputTokens: number;
}

/** One provider call's result before pricing. */
export interface ProviderResult {
  text: string;
  toolCalls: ModelToolCall[];
  output?: unknown;
  stopReason: ModelStopReason;
  model: string;
  usage: RawUsage;
}

/** The per-provider adapter: one streamed HTTP call through the official SDK. */
export interface Provider {
  readonly name: ProviderName;
  call(model: string, req: ModelRequest, opts: { signal: AbortSignal; maxTokens: number; onUsage: (u: RawUsage) => void }): Promise<ProviderResult>;
}
