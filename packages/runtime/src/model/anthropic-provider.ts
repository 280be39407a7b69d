import Anthropic from '@anthropic-ai/sdk';
import type { MessageParam, RawMessageStreamEvent, Tool } from '@anthropic-ai/sdk/resources/messages/messages';
import { fromSdkError, ProviderFailure } from './errors.js';
import type { ModelRequest, ModelToolCall, Provider, ProviderResult, RawUsage, ModelStopReason as StopReason } from './types.js';

/** The forced tool that carries structured output on the Messages API. */
export const RESPOND_TOOL = 'respond';

function messages(req: ModelRequest): MessageParam[] {
  return req.messages.map((m): MessageParam => {
    if (m.role === 'user') return { role: 'user', content: m.content };
    if (m.role === 'tool') return { role: 'user', content: [{ type: 'tool_result', tool_use_id: m.toolCallId, content: m.content }] };
    const calls = (m.toolCalls ?? []).map((c) => ({ type: 'tool_use' as const, id: c.id, name: c.name, input: c.arguments as Record<string, unknown> }));
    return { role: 'assistant', content: [...(m.content ? [{ type: 'text' as const, text: m.content }] : []), ...calls] };
  });
}

function stopReason(r: string | null | undefined): StopReason {
  if (r === 'end_turn' || r === 'stop_sequence') return 'end';
  if (r === 'max_tokens') return 'max_tokens';
  if (r === 'tool_use') return 'tool_use';
  return 'other';
}

/**
 * Anthropic Messages API through @anthropic-ai/sdk, always streamed (`stream: true`): text from
 * content_block_delta/text_delta, tool calls from content_block_start/tool_use plus input_json_delta,
 * usage from message_start (input) and message_delta (cumulative output). The SDK's own retries are
 * off: the model session retries, so it can honour retry-after and report the wait.
 */
export class AnthropicProvider implements Provider {
  readonly name = 'anthropic' as const;
  private readonly client: Anthropic;

  constructor(opts: { apiKey: string; baseURL?: string; timeoutMs: number }) {
    this.client = new Anthropic({ apiKey: opts.apiKey, ...(opts.baseURL ? { baseURL: opts.baseURL } : {}), maxRetries: 0, timeout: opts.timeoutMs });
  }

  async call(model: string, req: ModelRequest, o: { signal: AbortSignal; maxTokens: number; onUsage: (u: RawUsage) => void }): Promise<ProviderResult> {
    const tools: Tool[] = (req.tools ?? []).map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}), input_schema: t.parameters as Tool['input_schema'] }));
    if (req.output) tools.push({ name: RESPOND_TOOL, description: 'Return the final answer in the required structure.', input_schema: req.output.schema as Tool['input_schema'] });
    const usage: RawUsage = { inputTokens: 0, outputTokens: 0 };
    let text = '';
    const blocks = new Map<number, { id: string; name: string; json: string }>();
    let stop: string | null | undefined;
    let served = model;
    let finished = false;
    try {
      const stream = await this.client.messages.create(
        {
          model,
          max_tokens: o.maxTokens,
          messages: messages(req),
          ...(req.system ? { system: req.system } : {}),
          ...(tools.length ? { tools } : {}),
          ...(req.output ? { tool_choice: { type: 'tool', name: RESPOND_TOOL } } : {}),
          ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
          stream: true,
        },
        { signal: o.signal },
      );
      for await (const ev of stream as AsyncIterable<RawMessageStreamEvent>) {
        switch (ev.type) {
          case 'message_start':
            served = ev.message.model;
            usage.inputTokens = ev.message.usage.input_tokens;
            usage.outputTokens = ev.message.usage.output_tokens;
            o.onUsage({ ...usage });
            break;
          case 'content_block_start':
            if (ev.content_block.type === 'tool_use') blocks.set(ev.index, { id: ev.content_block.id, name: ev.content_block.name, json: '' });
            else if (ev.content_block.type === 'text' && ev.content_block.text) {
              text += ev.content_block.text;
              req.onText?.(ev.content_block.text);
            }
            break;
          case 'content_block_delta':
            if (ev.delta.type === 'text_delta') {
              text += ev.delta.text;
              req.onText?.(ev.delta.text);
            } else if (ev.delta.type === 'input_json_delta') {
              const b = blocks.get(ev.index);
              if (b) b.json += ev.delta.partial_json;
            }
            break;
          case 'message_delta':
            stop = ev.delta.stop_reason;
            usage.outputTokens = ev.usage.output_tokens;
            if (typeof ev.usage.input_tokens === 'number') usage.inputTokens = ev.usage.input_tokens;
            o.onUsage({ ...usage });
            break;
          case 'message_stop':
            finished = true;
            break;
          default:
            break;
        }
      }
    } catch (e: unknown) {
      throw fromSdkError(e, o.signal, usage.inputTokens + usage.outputTokens > 0 ? usage : null);
    }
    if (!finished) throw new ProviderFailure('disconnected', 'the stream ended before message_stop', null, null, usage);
    const toolCalls: ModelToolCall[] = [];
    let output: unknown;
    for (const b of [...blocks.entries()].sort(([a], [c]) => a - c).map(([, v]) => v)) {
      const args = parseJson(b.json === '' ? '{}' : b.json, `tool ${b.name} arguments`, usage);
      if (req.output && b.name === RESPOND_TOOL) output = args;
      else toolCalls.push({ id: b.id, name: b.name, arguments: args });
    }
    return { text, toolCalls, ...(req.output ? { output } : {}), stopReason: stopReason(stop), model: served, usage };
  }
}

/** Parses JSON the model wrote; `usage` is the complete call's, so it is still counted when this fails. */
export function parseJson(s: string, what: string, usage: RawUsage): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    throw new ProviderFailure('invalid_output', `the model returned ${what} that is not JSON`, null, null, usage);
  }
}
