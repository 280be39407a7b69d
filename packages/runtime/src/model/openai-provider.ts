import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { parseJson } from './anthropic-provider.js';
import { fromSdkError, ProviderFailure } from './errors.js';
import type { ModelRequest, ModelToolCall, Provider, ProviderResult, RawUsage, ModelStopReason as StopReason } from './types.js';

function messages(req: ModelRequest): ChatCompletionMessageParam[] {
  const out: ChatCompletionMessageParam[] = req.system ? [{ role: 'system', content: req.system }] : [];
  for (const m of req.messages) {
    if (m.role === 'user') out.push({ role: 'user', content: m.content });
    else if (m.role === 'tool') out.push({ role: 'tool', tool_call_id: m.toolCallId, content: m.content });
    else {
      const calls = (m.toolCalls ?? []).map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: JSON.stringify(c.arguments) } }));
      out.push({ role: 'assistant', content: m.content, ...(calls.length ? { tool_calls: calls } : {}) });
    }
  }
  return out;
}

function stopReason(r: string | null | undefined): StopReason {
  if (r === 'stop') return 'end';
  if (r === 'length') return 'max_tokens';
  if (r === 'tool_calls' || r === 'function_call') return 'tool_use';
  return 'other';
}

/**
 * OpenAI Chat Completions (and compatible servers: vLLM, llama.cpp, Ollama) through the `openai`
 * SDK, streamed with `stream_options.include_usage`: text and tool-call fragments from
 * choices[0].delta, usage from the final chunk (empty `choices`). Structured output uses
 * `response_format: { type: "json_schema" }`.
 */
export class OpenAiProvider implements Provider {
  readonly name = 'openai' as const;
  private readonly client: OpenAI;

  constructor(opts: { apiKey: string; baseURL?: string; timeoutMs: number }) {
    this.client = new OpenAI({ apiKey: opts.apiKey, ...(opts.baseURL ? { baseURL: opts.baseURL } : {}), maxRetries: 0, timeout: opts.timeoutMs });
  }

  async call(model: string, req: ModelRequest, o: { signal: AbortSignal; maxTokens: number; onUsage: (u: RawUsage) => void }): Promise<ProviderResult> {
    const tools: ChatCompletionTool[] = (req.tools ?? []).map((t) => ({
      type: 'function',
      function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters },
    }));
    let usage: RawUsage | null = null;
    let text = '';
    const calls = new Map<number, { id: string; name: string; args: string }>();
    let finish: string | null | undefined;
    let served = model;
    try {
      const stream = await this.client.chat.completions.create(
        {
          model,
          messages: messages(req),
          max_tokens: o.maxTokens,
          ...(tools.length ? { tools } : {}),
          ...(req.output ? { response_format: { type: 'json_schema', json_schema: { name: req.output.name ?? 'output', schema: req.output.schema, strict: true } } } : {}),
          ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal: o.signal },
      );
      for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
        served = chunk.model || served;
        if (chunk.usage) {
          usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
          o.onUsage({ ...usage });
        }
        const choice = chunk.choices[0];
        if (!choice) continue;
        const d = choice.delta;
        if (d?.content) {
          text += d.content;
          req.onText?.(d.content);
        }
        for (const tc of d?.tool_calls ?? []) {
          const cur = calls.get(tc.index) ?? { id: '', name: '', args: '' };
          if (tc.id) cur.id = tc.id;
          if (tc.function?.name) cur.name += tc.function.name;
          if (tc.function?.arguments) cur.args += tc.function.arguments;
          calls.set(tc.index, cur);
        }
        if (choice.finish_reason) finish = choice.finish_reason;
      }
    } catch (e: unknown) {
      throw fromSdkError(e, o.signal, usage);
    }
    // With include_usage the last chunk carries the usage; without it the stream was cut off.
    if (!usage || !finish) throw new ProviderFailure('disconnected', 'the stream ended before its finish_reason and usage chunk', null, null, usage);
    const toolCalls: ModelToolCall[] = [...calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, c]) => ({ id: c.id, name: c.name, arguments: parseJson(c.args === '' ? '{}' : c.args, `tool ${c.name} arguments`, usage!) }));
    const output = req.output ? parseJson(text, 'structured output', usage) : undefined;
    return { text, toolCalls, ...(req.output ? { output } : {}), stopReason: stopReason(finish), model: served, usage };
  }
}
