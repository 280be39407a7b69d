import { llmAgent } from '@baton/agent-llm';
import { secretScopesFromEnv, type RunView } from '@baton/contracts';
import type { ModelConfig } from '@baton/runtime';
import { ENTRYPOINTS, spawnAgent, startFakeModelServer, useTestStack, waitFor, type BatonProcess, type FakeModelServer } from '@baton/testing';
import { describe, expect, it } from 'vitest';

/** The generic llm agent, and the fleet-wide rate limit across agent processes, against the local provider server. */
const stack = useTestStack();
const SECRET = 'BATON_SECRET_MODEL_KEY';

async function withServer(): Promise<FakeModelServer> {
  const s = await startFakeModelServer();
  stack.defer(() => s.close());
  return s;
}

const config = (server: FakeModelServer, provider: 'anthropic' | 'openai'): ModelConfig => ({
  provider,
  baseURL: provider === 'anthropic' ? server.anthropicUrl : server.openaiUrl,
  model: 'model-a',
  apiKeySecret: SECRET,
  prices: {},
  rpm: 0,
  tpm: 0,
  windowMs: 60_000,
  maxRetries: 3,
  retryMaxWaitMs: 1000,
  maxTokens: 500,
  timeoutMs: 60_000,
});

/** The agent's secrets: the key, scoped to the local server (the key goes only where `urls=` allows). */
const secretsFor = (url: string) => ({ secrets: { [SECRET]: 'sk-test' }, secretScopes: secretScopesFromEnv({ [`${SECRET}_SCOPE`]: `urls=${url}/;role=submitter` }) });

const stageOf = (r: RunView, name: string) => r.stages.find((s) => s.name === name)!;
const lastUserText = (body: Record<string, unknown>) => {
  const msgs = body.messages as { role: string; content: unknown }[];
  const m = msgs.filter((x) => x.role === 'user').at(-1)!;
  return typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
};

describe('the llm agent', () => {
  it('fills a prompt file from $from inputs, validates the JSON-schema answer and repairs a wrong one', async () => {
    const server = await withServer();
    const h = await stack.harness();
    await h.agent(llmAgent(secretsFor(server.anthropicUrl)), { model: config(server, 'anthropic') });
    server.script(
      { kind: 'text', text: 'Pipelines run stages.', usage: { input: 30, output: 5 } },
      // The first structured answer misses "label": the agent sends it back once, and the second passes.
      { kind: 'json', value: { reason: 'no label' }, usage: { input: 40, output: 6 } },
      { kind: 'json', value: { label: 'docs', reason: 'it explains' }, usage: { input: 60, output: 8 } },
    );
    const schema = { type: 'object', properties: { label: { type: 'string', enum: ['docs', 'bug'] }, reason: { type: 'string' } }, required: ['label', 'reason'] };
    const run = await h.submit({
      input: { text: 'Baton is a pipeline engine.' },
      definition: {
        stages: [
          { name: 'summary', agent: 'llm', input: { prompt: 'summarize', vars: { audience: 'engineers', maxWords: 20, text: { $from: 'input.text' } } } },
          {
            name: 'label',
            agent: 'llm',
            dependsOn: ['summary'],
            input: { prompt: 'classify', vars: { labels: ['docs', 'bug'], text: { $from: 'stages.summary.output.text' } }, outputSchema: schema },
          },
        ],
      },
    });
    const done = await h.waitRun(run.id);
    expect(done.status).toBe('succeeded');
    expect(lastUserText(server.requests[0]!.body)).toContain('Summarize the following for engineers in at most 20 words.\n\nBaton is a pipeline engine.');
    expect(lastUserText(server.requests[1]!.body)).toContain('Pipelines run stages.');
    expect(lastUserText(server.requests[2]!.body)).toContain('does not match the required JSON schema');
    expect(stageOf(done, 'label').output).toMatchObject({ output: { label: 'docs', reason: 'it explains' } });
    expect(stageOf(done, 'label').usage).toMatchObject({ inputTokens: 100, outputTokens: 14, calls: 2 });
  });

  it('fails the stage with a clear code when a template variable is missing', async () => {
    const server = await withServer();
    const h = await stack.harness();
    await h.agent(llmAgent(secretsFor(server.anthropicUrl)), { model: config(server, 'openai') });
    const run = await h.submit({ definition: { stages: [{ name: 's', agent: 'llm', input: { template: 'Hello {{who}}', vars: {} } }] } });
    const done = await h.waitRun(run.id);
    expect(stageOf(done, 's').error).toMatchObject({ code: 'TEMPLATE_VARIABLE_MISSING' });
    expect(server.requests).toHaveLength(0);
  });

  it('sends the API key only to a base URL its secret scope allows', async () => {
    const server = await withServer();
    const h = await stack.harness();
    await expect(h.agent(llmAgent(secretsFor('https://api.example.com')), { model: config(server, 'openai') })).rejects.toMatchObject({ code: 'SECRET_SCOPE_DENIED' });
    await expect(h.agent(llmAgent({ secrets: { [SECRET]: 'sk-test' }, secretScopes: new Map() }), { model: config(server, 'openai') })).rejects.toMatchObject({ code: 'SECRET_SCOPE_DENIED' });
    expect(server.requests).toHaveLength(0);
  });

  it('the fleet-wide rate limit holds across three agent processes (Redis token bucket)', async () => {
    const server = await withServer();
    server.fallback = { kind: 'text', text: 'ok', usage: { input: 3, output: 1 } };
    const h = await stack.harness();
    const env = {
      BATON_MODEL_PROVIDER: 'openai',
      BATON_MODEL_BASE_URL: server.openaiUrl,
      BATON_MODEL_NAME: 'model-a',
      BATON_MODEL_API_KEY_SECRET: SECRET,
      [SECRET]: 'sk-test',
      [`${SECRET}_SCOPE`]: `urls=${server.anthropicUrl}/;role=submitter`,
      BATON_MODEL_RPM: '2',
      BATON_MODEL_RATE_WINDOW_MS: '2000',
      BATON_AGENT_CONCURRENCY: '2',
    };
    const procs: BatonProcess[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await spawnAgent(ENTRYPOINTS.llm, h.redis.target, h.ns, env);
      stack.defer(() => p.kill('SIGKILL'));
      procs.push(p);
    }
    const N = 9;
    const stages = Array.from({ length: N }, (_, i) => ({ name: `s${i}`, agent: 'llm', input: { template: 'call {{n}}', vars: { n: i } }, timeoutMs: 120_000 }));
    const run = await h.submit({ definition: { stages } });
    // While held, a stage says why.
    await h.waitRun(run.id, (r) => r.stages.some((s) => /rate limit \(fleet-wide\)/.test(s.progress?.message ?? '')), 60_000);
    const done = await h.waitRun(run.id, undefined, 120_000);
    expect(done.status).toBe('succeeded');
    expect(new Set(done.stages.map((s) => s.agentId)).size).toBe(3);
    expect(server.requests).toHaveLength(N);
    // 2 requests per 2 s with a burst of 2: the 9th request cannot be granted before 7 s after the
    // first. Allow for request latency after the grant; without the shared bucket all nine arrive at once.
    const at = server.requests.map((r) => r.at).sort((a, b) => a - b);
    expect(at.at(-1)! - at[0]!).toBeGreaterThanOrEqual(5000);
    // The bucket is one key built by keys.modelRate.
    expect(await h.orch.engine.ctx.redis.exists(h.keys.modelRate('openai', 'model-a'))).toBe(1);
    await waitFor(() => procs.every((p) => p.child.exitCode === null), { what: 'agents alive' });
  }, 180_000);
});
