import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A local stand-in for the two model APIs Baton's runtime speaks, for tests: the Anthropic Messages
 * API (POST /v1/messages) and the OpenAI Chat Completions API (POST /v1/chat/completions), streamed
 * as each provider documents its server-sent events, answering from a script. It records every
 * request (body, headers, when it arrived, whether the client hung up before the answer ended).
 * No test calls a real provider.
 */

export interface ScriptedUsage {
  input: number;
  output: number;
}

export type ModelReply =
  /** Streams `text` in `chunks` pieces. */
  | { kind: 'text'; text: string; usage: ScriptedUsage; chunks?: number; delayMs?: number }
  /** A tool call (Anthropic tool_use block / OpenAI tool_calls), streamed as JSON fragments. */
  | { kind: 'tool'; name: string; input: Record<string, unknown>; usage: ScriptedUsage; text?: string }
  /** Structured output: Anthropic answers with the forced `respond` tool, OpenAI with JSON content. */
  | { kind: 'json'; value: unknown; usage: ScriptedUsage; delayMs?: number }
  /** An HTTP error before any stream: 429 rate_limit_error, 529 overloaded_error, 400 ... */
  | { kind: 'error'; status: number; type?: string; retryAfter?: string }
  /** Starts streaming `text`, then destroys the socket (usage so far: message_start's input). */
  | { kind: 'disconnect'; text: string; usage: ScriptedUsage }
  /** Anthropic only: an SSE `error` event (overloaded_error) after message_start. */
  | { kind: 'stream-error'; type: string; usage: ScriptedUsage }
  /** Streams `text` and never finishes (until the client disconnects): for cancellation tests. */
  | { kind: 'hang'; text: string; usage: ScriptedUsage };

export interface ModelRequestRecord {
  api: 'anthropic' | 'openai';
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
  at: number;
  /** The client closed the connection before the answer was complete. */
  clientAborted: boolean;
  reply: ModelReply['kind'];
}

export interface FakeModelServer {
  /** For the Anthropic SDK (`baseURL`, without /v1). */
  readonly anthropicUrl: string;
  /** For the OpenAI SDK (`baseURL`, with /v1). */
  readonly openaiUrl: string;
  readonly requests: ModelRequestRecord[];
  /** Queues replies, answered in order; when the queue is empty `fallback` answers (or a 500). */
  script(...replies: ModelReply[]): void;
  fallback: ModelReply | null;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function split(text: string, n: number): string[] {
  if (text === '') return [];
  const size = Math.max(1, Math.ceil(text.length / n));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

class Sse {
  constructor(private readonly res: ServerResponse) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  }
  /** Anthropic: `event: <type>` + data. */
  event(type: string, data: unknown): void {
    this.res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  }
  /** OpenAI: data lines only, ending with [DONE]. */
  data(data: unknown): void {
    this.res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  }
  end(): void {
    this.res.end();
  }
}

let seq = 0;

async function anthropic(reply: ModelReply, body: Record<string, unknown>, res: ServerResponse): Promise<void> {
  if (reply.kind === 'error') return httpError(res, reply, 'anthropic');
  const model = String(body.model);
  const id = `msg_${++seq}`;
  const sse = new Sse(res);
  sse.event('message_start', {
    type: 'message_start',
    message: { id, type: 'message', role: 'assistant', content: [], model, stop_reason: null, stop_sequence: null, usage: { input_tokens: reply.usage.input, output_tokens: 1 } },
  });
  sse.event('ping', { type: 'ping' });
  const textBlock = async (index: number, text: string, chunks: number, delayMs = 0) => {
    sse.event('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    for (const piece of split(text, chunks)) {
      sse.event('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
      if (delayMs) await sleep(delayMs);
    }
  };
  const toolBlock = (index: number, name: string, input: unknown) => {
    sse.event('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: `toolu_${++seq}`, name, input: {} } });
    for (const piece of split(JSON.stringify(input), 3)) sse.event('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } });
    sse.event('content_block_stop', { type: 'content_block_stop', index });
  };
  const finish = (stop: string, output: number) => {
    sse.event('message_delta', { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: output } });
    sse.event('message_stop', { type: 'message_stop' });
    sse.end();
  };
  switch (reply.kind) {
    case 'text':
      await textBlock(0, reply.text, reply.chunks ?? 4, reply.delayMs);
      sse.event('content_block_stop', { type: 'content_block_stop', index: 0 });
      return finish('end_turn', reply.usage.output);
    case 'tool': {
      let i = 0;
      if (reply.text) {
        await textBlock(i, reply.text, 1);
        sse.event('content_block_stop', { type: 'content_block_stop', index: i++ });
      }
      toolBlock(i, reply.name, reply.input);
      return finish('tool_use', reply.usage.output);
    }
    case 'json':
      if (reply.delayMs) await sleep(reply.delayMs);
      toolBlock(0, 'respond', reply.value);
      return finish('tool_use', reply.usage.output);
    case 'stream-error':
      sse.event('error', { type: 'error', error: { type: reply.type, message: 'Overloaded' } });
      return sse.end();
    case 'disconnect':
      await textBlock(0, reply.text, 2);
      await sleep(20);
      res.destroy();
      return;
    case 'hang':
      await textBlock(0, reply.text, 2);
      await once(res, 'close');
      return;
  }
}

async function openai(reply: ModelReply, body: Record<string, unknown>, res: ServerResponse): Promise<void> {
  if (reply.kind === 'error') return httpError(res, reply, 'openai');
  const model = String(body.model);
  const id = `chatcmpl-${++seq}`;
  const created = Math.floor(Date.now() / 1000);
  const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const sse = new Sse(res);
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    sse.data({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_local', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) });
  const content = async (text: string, chunks: number, delayMs = 0) => {
    chunk({ role: 'assistant', content: '' });
    for (const piece of split(text, chunks)) {
      chunk({ content: piece });
      if (delayMs) await sleep(delayMs);
    }
  };
  const finish = (reason: string, usage: ScriptedUsage) => {
    chunk({}, reason);
    if (includeUsage) {
      sse.data({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_local', choices: [], usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output } });
    }
    sse.data('[DONE]');
    sse.end();
  };
  switch (reply.kind) {
    case 'text':
      await content(reply.text, reply.chunks ?? 4, reply.delayMs);
      return finish('stop', reply.usage);
    case 'json':
      if (reply.delayMs) await sleep(reply.delayMs);
      await content(JSON.stringify(reply.value), 3);
      return finish('stop', reply.usage);
    case 'tool': {
      chunk({ role: 'assistant', content: reply.text ?? null });
      const args = split(JSON.stringify(reply.input), 3);
      chunk({ tool_calls: [{ index: 0, id: `call_${++seq}`, type: 'function', function: { name: reply.name, arguments: '' } }] });
      for (const a of args) chunk({ tool_calls: [{ index: 0, function: { arguments: a } }] });
      return finish('tool_calls', reply.usage);
    }
    case 'stream-error':
    case 'disconnect':
      await content('text' in reply ? reply.text : 'partial', 2);
      await sleep(20);
      res.destroy();
      return;
    case 'hang':
      await content(reply.text, 2);
      await once(res, 'close');
      return;
  }
}

function httpError(res: ServerResponse, reply: Extract<ModelReply, { kind: 'error' }>, api: 'anthropic' | 'openai'): void {
  const type = reply.type ?? (reply.status === 429 ? 'rate_limit_error' : reply.status === 529 ? 'overloaded_error' : 'invalid_request_error');
  const body =
    api === 'anthropic'
      ? { type: 'error', error: { type, message: `scripted ${reply.status}` } }
      : { error: { message: `scripted ${reply.status}`, type: reply.status === 429 ? 'requests' : type, param: null, code: reply.status === 429 ? 'rate_limit_exceeded' : null } };
  res.writeHead(reply.status, { 'content-type': 'application/json', ...(reply.retryAfter !== undefined ? { 'retry-after': reply.retryAfter } : {}) });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const p of req) parts.push(p as Buffer);
  return JSON.parse(Buffer.concat(parts).toString('utf8') || '{}') as Record<string, unknown>;
}

export async function startFakeModelServer(): Promise<FakeModelServer> {
  const queue: ModelReply[] = [];
  const requests: ModelRequestRecord[] = [];
  const sockets = new Set<Socket>();
  const state = { fallback: null as ModelReply | null };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const api = req.url === '/v1/messages' ? 'anthropic' : req.url === '/v1/chat/completions' ? 'openai' : null;
      if (req.method !== 'POST' || !api) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: 'no such route' } }));
        return;
      }
      const body = await readBody(req);
      const reply = queue.shift() ?? state.fallback ?? { kind: 'error', status: 500, type: 'api_error' };
      const rec: ModelRequestRecord = { api, body, headers: req.headers, at: Date.now(), clientAborted: false, reply: reply.kind };
      requests.push(rec);
      res.on('close', () => {
        if (!res.writableFinished && reply.kind !== 'disconnect') rec.clientAborted = true;
      });
      await (api === 'anthropic' ? anthropic(reply, body, res) : openai(reply, body, res));
    })().catch(() => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    anthropicUrl: `http://127.0.0.1:${port}`,
    openaiUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    script: (...r) => queue.push(...r),
    get fallback() {
      return state.fallback;
    },
    set fallback(r) {
      state.fallback = r;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
}
