import type { ModelUsage, RunView, StageLogPage } from '@baton/contracts';
import { defineAgent, StageFailure, type ModelConfig } from '@baton/runtime';
import { freePort, http, parsePromText, promSum, startFakeModelServer, useTestStack, waitFor, type FakeModelServer } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

/**
 * ctx.model against a local server that speaks the Anthropic Messages and OpenAI Chat Completions
 * protocols (packages/testing/src/model-server.ts), through the official SDKs. No real provider.
 */
const stack = useTestStack();

const SECRET = 'BATON_SECRET_MODEL_KEY';
const PRICES = { 'model-a': { inputPerMTok: 3, outputPerMTok: 15 } };

function modelConfig(server: FakeModelServer, provider: 'anthropic' | 'openai', extra: Partial<ModelConfig> = {}): ModelConfig {
  return {
    provider,
    baseURL: provider === 'anthropic' ? server.anthropicUrl : server.openaiUrl,
    model: 'model-a',
    apiKeySecret: SECRET,
    prices: PRICES,
    rpm: 0,
    tpm: 0,
    windowMs: 60_000,
    maxRetries: 8,
    retryMaxWaitMs: 5000,
    maxTokens: 1000,
    timeoutMs: 60_000,
    ...extra,
  };
}

/** A stage that makes `calls` model calls; `failFirstAttempt` throws a retryable error after the calls of attempt 1. */
const chatAgent = defineAgent({
  type: 'chat',
  input: z.object({ prompt: z.string().default('hi'), calls: z.int().default(1), failFirstAttempt: z.boolean().default(false), structured: z.boolean().default(false) }),
  output: z.object({ text: z.string(), output: z.unknown().optional(), toolCalls: z.array(z.unknown()) }),
  model: { apiKey: (name) => (name === SECRET ? 'sk-test-key' : '') },
  handler: async (ctx) => {
    let last = { text: '', output: undefined as unknown, toolCalls: [] as unknown[] };
    for (let i = 0; i < ctx.input.calls; i++) {
      const r = await ctx.model!.complete({
        system: 'be brief',
        messages: [{ role: 'user', content: ctx.input.prompt }],
        tools: [{ name: 'lookup', description: 'look a thing up', parameters: { type: 'object', properties: { q: { type: 'string' } } } }],
        ...(ctx.input.structured ? { output: { schema: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] } } } : {}),
      });
      last = { text: r.text, output: r.output, toolCalls: r.toolCalls };
    }
    if (ctx.input.failFirstAttempt && ctx.attempt === 1) throw new StageFailure('FLAKY', 'first attempt fails after its calls');
    return last;
  },
});

const stageOf = (r: RunView, name: string) => r.stages.find((s) => s.name === name)!;
const usage = (inputTokens: number, outputTokens: number, calls: number): ModelUsage => ({
  inputTokens,
  outputTokens,
  calls,
  costUsd: Math.round(((inputTokens * 3 + outputTokens * 15) / 1e6) * 1e9) / 1e9,
});

async function withServer(): Promise<FakeModelServer> {
  const s = await startFakeModelServer();
  stack.defer(() => s.close());
  return s;
}

describe('model-backed agents (local provider server, official SDKs)', () => {
  for (const provider of ['anthropic', 'openai'] as const) {
    it(`${provider}: streams text into the stage progress and live log and records usage and cost on the stage and the run`, async () => {
      const server = await withServer();
      const h = await stack.harness();
      const metricsPort = await freePort();
      await h.agent(chatAgent, { model: modelConfig(server, provider), metricsPort, metricsHost: '127.0.0.1' });
      server.script({ kind: 'text', text: 'The quick brown fox jumps over the lazy dog.', chunks: 12, delayMs: 150, usage: { input: 40, output: 12 } });
      const run = await h.submit({ definition: { stages: [{ name: 'ask', agent: 'chat' }] } });
      const live = await h.waitRun(run.id, (r) => /model: The quick/.test(stageOf(r, 'ask').progress?.message ?? ''));
      expect(stageOf(live, 'ask').status).toBe('running');
      const done = await h.waitRun(run.id);
      expect(done.status).toBe('succeeded');
      expect(stageOf(done, 'ask').output).toMatchObject({ text: 'The quick brown fox jumps over the lazy dog.' });
      expect(stageOf(done, 'ask').usage).toEqual({ ...usage(40, 12, 1), model: 'model-a' });
      expect(done.usage).toEqual(usage(40, 12, 1));
      // The streamed text is in the stage's live log as well.
      const log = (await h.request<StageLogPage>('GET', `/v1/runs/${run.id}/stages/ask/logs/page?limit=1000`)).body;
      expect(log.items.flatMap((e) => (e.kind === 'lines' ? (e.lines ?? []) : [])).join('\n')).toContain('The quick brown fox jumps over the lazy dog.');
      // What the SDK sent: the configured model, streaming, the tool, and (OpenAI) usage in the last chunk.
      const req = server.requests[0]!;
      expect(req.body).toMatchObject({ model: 'model-a', stream: true });
      if (provider === 'openai') {
        expect(req.body.stream_options).toEqual({ include_usage: true });
        expect(req.headers.authorization).toBe('Bearer sk-test-key');
      } else {
        // @anthropic-ai/sdk 1.x sends the key as a bearer token (0.x sent x-api-key).
        expect(req.headers['x-api-key'] ?? req.headers.authorization).toMatch(/^(Bearer )?sk-test-key$/);
        expect(req.body.system).toBe('be brief');
      }
      // The agent process's own counters ...
      const metrics = parsePromText((await http<string>(`http://127.0.0.1:${metricsPort}`, 'GET', '/metrics')).body);
      expect(promSum(metrics, 'baton_agent_model_tokens_total', { pipeline: 'inline', agent: 'chat', model: 'model-a', kind: 'input' })).toBe(40);
      expect(promSum(metrics, 'baton_agent_model_cost_total', { model: 'model-a' })).toBeCloseTo(usage(40, 12, 1).costUsd, 12);
      // ... and the fleet-wide ones, committed with the result.
      const fleet = await waitFor(async () => {
        const m = parsePromText((await h.request<string>('GET', '/metrics')).body);
        return promSum(m, 'baton_model_tokens_total', { pipeline: 'inline', agent: 'chat', model: 'model-a' }) > 0 ? m : undefined;
      }, { what: 'fleet model metrics' });
      expect(promSum(fleet, 'baton_model_tokens_total', { pipeline: 'inline', agent: 'chat', model: 'model-a', kind: 'output' })).toBe(12);
      expect(promSum(fleet, 'baton_model_cost_total', { model: 'model-a' })).toBeCloseTo(usage(40, 12, 1).costUsd, 12);
    });

    it(`${provider}: tool calls and JSON-schema structured output come back parsed`, async () => {
      const server = await withServer();
      const h = await stack.harness();
      await h.agent(chatAgent, { model: modelConfig(server, provider) });
      server.script({ kind: 'tool', name: 'lookup', input: { q: 'weather in Paris' }, usage: { input: 10, output: 5 } }, { kind: 'json', value: { answer: 'sunny' }, usage: { input: 20, output: 6 } });
      const run = await h.submit({ definition: { stages: [{ name: 'tool', agent: 'chat' }, { name: 'json', agent: 'chat', dependsOn: ['tool'], input: { structured: true } }] } });
      const done = await h.waitRun(run.id);
      expect(done.status).toBe('succeeded');
      expect(stageOf(done, 'tool').output).toMatchObject({ toolCalls: [{ name: 'lookup', arguments: { q: 'weather in Paris' } }] });
      expect(stageOf(done, 'json').output).toMatchObject({ output: { answer: 'sunny' } });
      if (provider === 'openai') expect(server.requests[1]!.body.response_format).toMatchObject({ type: 'json_schema' });
      else expect(server.requests[1]!.body.tool_choice).toEqual({ type: 'tool', name: 'respond' });
      expect(done.usage).toEqual(usage(30, 11, 2));
    });

    it(`${provider}: 429 (retry-after), overload and a mid-stream disconnect are retried without using the stage's attempts`, async () => {
      const server = await withServer();
      const h = await stack.harness();
      await h.agent(chatAgent, { model: modelConfig(server, provider) });
      const overload = provider === 'anthropic' ? { kind: 'error' as const, status: 529 } : { kind: 'error' as const, status: 503 };
      server.script(
        { kind: 'error', status: 429, retryAfter: '1' },
        overload,
        { kind: 'disconnect', text: 'partial answ', usage: { input: 11, output: 0 } },
        ...(provider === 'anthropic' ? [{ kind: 'stream-error' as const, type: 'overloaded_error', usage: { input: 7, output: 0 } }] : []),
        { kind: 'text', text: 'complete answer', usage: { input: 100, output: 20 } },
      );
      const run = await h.submit({ definition: { stages: [{ name: 'ask', agent: 'chat', retry: { maxAttempts: 1 } }] } });
      const done = await h.waitRun(run.id, undefined, 60_000);
      expect(done.status).toBe('succeeded');
      expect(stageOf(done, 'ask').attempts).toBe(1);
      // retry-after: 1 s was honoured between the 429 and the next request.
      expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(950);
      // Usage the provider reported before breaking off counts (Anthropic: message_start's input
      // tokens and its first output token; OpenAI reports none before the final chunk).
      const expected =
        provider === 'anthropic'
          ? usage(100 + 11 + 7, 20 + 1 + 1, server.requests.length)
          : usage(100, 20, server.requests.length);
      expect(done.usage).toEqual(expected);
      expect(stageOf(done, 'ask').usage).toEqual({ ...expected, model: 'model-a' });
    });
  }

  it('usage and cost add up exactly per run when a stage attempt is retried', async () => {
    const server = await withServer();
    const h = await stack.harness();
    await h.agent(chatAgent, { model: modelConfig(server, 'anthropic') });
    server.script(
      { kind: 'text', text: 'a1', usage: { input: 100, output: 10 } },
      { kind: 'error', status: 429, retryAfter: '0' },
      { kind: 'text', text: 'a1b', usage: { input: 200, output: 20 } },
      { kind: 'text', text: 'a2', usage: { input: 300, output: 30 } },
      { kind: 'text', text: 'b', usage: { input: 400, output: 40 } },
    );
    const run = await h.submit({
      definition: {
        stages: [
          { name: 'flaky', agent: 'chat', input: { calls: 1, failFirstAttempt: true }, retry: { maxAttempts: 2, backoff: { type: 'fixed', delayMs: 100 } } },
          { name: 'next', agent: 'chat', dependsOn: ['flaky'] },
        ],
      },
    });
    // flaky: attempt 1 makes one call (a1) and throws; attempt 2's call meets a 429 first, then gets a1b.
    const done = await h.waitRun(run.id, undefined, 60_000);
    expect(done.status).toBe('succeeded');
    expect(stageOf(done, 'flaky').attempts).toBe(2);
    // Both attempts count (the first one's spend is carried in the job); the 429 is a call with no usage.
    expect(stageOf(done, 'flaky').usage).toEqual({ ...usage(100 + 200, 10 + 20, 3), model: 'model-a' });
    expect(stageOf(done, 'next').usage).toEqual({ ...usage(300, 30, 1), model: 'model-a' });
    expect(done.usage).toEqual(usage(600, 60, 4));
  });

  it('structured output that is not JSON fails the attempt MODEL_OUTPUT_INVALID, and its tokens still count', async () => {
    const server = await withServer();
    const h = await stack.harness();
    await h.agent(chatAgent, { model: modelConfig(server, 'openai') });
    server.script({ kind: 'text', text: 'Sure! Here is the answer: sunny', usage: { input: 20, output: 9 } });
    const run = await h.submit({ definition: { stages: [{ name: 'json', agent: 'chat', input: { structured: true } }] } });
    const done = await h.waitRun(run.id);
    expect(stageOf(done, 'json').error).toMatchObject({ code: 'MODEL_OUTPUT_INVALID', retryable: true });
    expect(done.usage).toEqual(usage(20, 9, 1));
  });

  it('cancelling the run aborts the HTTP request: the server sees the client hang up', async () => {
    const server = await withServer();
    const h = await stack.harness();
    await h.agent(chatAgent, { model: modelConfig(server, 'openai') });
    server.script({ kind: 'hang', text: 'thinking about it', usage: { input: 5, output: 5 } });
    const run = await h.submit({ definition: { stages: [{ name: 'ask', agent: 'chat' }] } });
    await h.waitRun(run.id, (r) => /thinking/.test(stageOf(r, 'ask').progress?.message ?? ''));
    expect(server.requests[0]!.clientAborted).toBe(false);
    const res = await h.request('POST', `/v1/runs/${run.id}/cancel`, { reason: 'enough' });
    expect(res.status).toBe(200);
    await waitFor(() => server.requests[0]!.clientAborted, { what: 'the model request to be aborted', timeoutMs: 20_000 });
    expect((await h.waitRun(run.id)).status).toBe('cancelled');
  });

  it('a budget stops the run before the stage that would start with nothing left', async () => {
    const server = await withServer();
    const h = await stack.harness();
    await h.agent(chatAgent, { model: modelConfig(server, 'anthropic') });
    server.fallback = { kind: 'text', text: 'ok', usage: { input: 100, output: 20 } };
    const stages = [
      { name: 'a', agent: 'chat' },
      { name: 'b', agent: 'chat', dependsOn: ['a'] },
      { name: 'c', agent: 'chat', dependsOn: ['b'] },
    ];
    const run = await h.submit({ definition: { stages, budget: { tokens: 240 } } });
    const done = await h.waitRun(run.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'RUN_BUDGET_EXCEEDED' });
    expect(done.stages.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'skipped']);
    expect(server.requests).toHaveLength(2);
    expect(done.usage).toEqual(usage(200, 40, 2));
    expect(done.budget).toEqual({ tokens: 240 });
  });

  it('a stage in flight is stopped through its signal when its own call goes past what is left', async () => {
    const server = await withServer();
    const h = await stack.harness();
    await h.agent(chatAgent, { model: modelConfig(server, 'anthropic') });
    // Slow enough that the server is still streaming when the stage is told to stop.
    server.fallback = { kind: 'text', text: 'a long answer that takes a while', chunks: 20, delayMs: 100, usage: { input: 100, output: 20 } };
    const run = await h.submit({
      definition: { stages: [{ name: 'a', agent: 'chat' }, { name: 'b', agent: 'chat', dependsOn: ['a'] }, { name: 'c', agent: 'chat', dependsOn: ['b'] }] },
      budget: { tokens: 200 },
    });
    const done = await h.waitRun(run.id);
    expect(done.status).toBe('failed');
    expect(stageOf(done, 'a').status).toBe('succeeded');
    expect(stageOf(done, 'b').status).toBe('failed');
    expect(stageOf(done, 'b').error).toMatchObject({ code: 'RUN_BUDGET_EXCEEDED' });
    expect(stageOf(done, 'c').status).toBe('skipped');
    // b was told to stop as soon as message_start reported 100 input tokens against the 80 left, and
    // its max_tokens had been capped to what was left.
    expect(server.requests[1]!.body.max_tokens).toBe(80);
    expect(server.requests[1]!.clientAborted).toBe(true);
    expect(done.usage?.inputTokens).toBe(200);
  });
});
