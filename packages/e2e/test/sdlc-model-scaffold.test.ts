import type { ScaffoldOutput } from '@baton/contracts';
import { startFakeModelServer, useTestStack, type FakeModelServer } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { bareRepo, describeRun, git, scratch, stageOf, startSdlcAgents } from './sdlc-support.js';

/**
 * scaffold `generator: "model"` against the local provider server (the Anthropic protocol, through
 * the official SDK in the agent process), judged by the real validation agent.
 */
const stack = useTestStack();

const project = (addBody: string) => ({
  summary: 'A calculator with node:test tests.',
  files: [
    { path: 'package.json', content: JSON.stringify({ name: 'calc', version: '1.0.0', private: true, scripts: { test: 'node --test --test-reporter=tap' }, license: 'MIT' }, null, 2) },
    { path: 'calc.js', content: `exports.add = (a, b) => ${addBody};\n` },
    { path: 'test/calc.test.js', content: "const test = require('node:test');\nconst assert = require('node:assert');\nconst { add } = require('../calc.js');\ntest('adds', () => assert.strictEqual(add(2, 3), 5));\n" },
  ],
});

async function modelEnv(): Promise<{ server: FakeModelServer; env: Record<string, string> }> {
  const server = await startFakeModelServer();
  stack.defer(() => server.close());
  return {
    server,
    env: {
      BATON_MODEL_PROVIDER: 'anthropic',
      BATON_MODEL_BASE_URL: server.anthropicUrl,
      BATON_MODEL_NAME: 'model-a',
      BATON_MODEL_API_KEY_SECRET: 'BATON_SECRET_MODEL_KEY',
      BATON_SECRET_MODEL_KEY: 'sk-test',
      BATON_SECRET_MODEL_KEY_SCOPE: `urls=${server.anthropicUrl}/;role=submitter`,
      BATON_MODEL_PRICES: JSON.stringify({ 'model-a': { inputPerMTok: 3, outputPerMTok: 15 } }),
    },
  };
}

const pipeline = (repo: string) => ({
  definition: {
    stages: [
      { name: 'scaffold', agent: 'scaffold', input: { name: 'calc', generator: 'model', requirements: 'A function add(a, b) that adds two numbers, with tests.', repository: repo } },
      { name: 'validation', agent: 'validation', dependsOn: ['scaffold'], input: { repository: { $from: 'stages.scaffold.output.repository' }, commands: { typecheck: null, lint: null } } },
    ],
  },
});

describe('scaffold with generator "model"', () => {
  it('commits what the model wrote, and validation accepts a working project and rejects a broken one', async () => {
    const { server, env } = await modelEnv();
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-model-scaffold');
    await startSdlcAgents(stack, h, root, ['scaffold', 'validation'], env);

    const good = bareRepo(root, 'good');
    server.script({ kind: 'json', value: project('a + b'), usage: { input: 500, output: 300 } });
    const ok = await h.waitRun((await h.submit(pipeline(good.url))).id, undefined, 120_000);
    expect(ok.status, describeRun(ok)).toBe('succeeded');
    const out = stageOf(ok, 'scaffold').output as ScaffoldOutput;
    expect(out).toMatchObject({ generator: 'model', template: 'model', fileCount: 3, summary: 'A calculator with node:test tests.' });
    expect(git(good.dir, 'ls-tree', '-r', '--name-only', out.commitSha).split('\n').sort()).toEqual(['calc.js', 'package.json', 'test/calc.test.js']);
    expect(git(good.dir, 'log', '-1', '--format=%B', out.commitSha)).toContain('Baton-Generator: model');
    expect(stageOf(ok, 'scaffold').usage).toEqual({ inputTokens: 500, outputTokens: 300, costUsd: 0.006, calls: 1, model: 'model-a' });
    // The request carried the requirements through the prompt file, and forced the structured answer.
    const body = server.requests[0]!.body as { messages: { content: string }[]; tool_choice: unknown };
    expect(body.messages[0]!.content).toContain('A function add(a, b) that adds two numbers');
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'respond' });

    const bad = bareRepo(root, 'bad');
    server.script({ kind: 'json', value: project('a - b'), usage: { input: 500, output: 300 } });
    const rejected = await h.waitRun((await h.submit(pipeline(bad.url))).id, undefined, 120_000);
    expect(rejected.status, describeRun(rejected)).toBe('failed');
    expect(stageOf(rejected, 'scaffold').status).toBe('succeeded');
    expect(stageOf(rejected, 'validation').error).toMatchObject({ code: 'QUALITY_GATE_FAILED' });
  }, 240_000);

  it('refuses files outside the project', async () => {
    const { server, env } = await modelEnv();
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-model-scaffold');
    await startSdlcAgents(stack, h, root, ['scaffold'], env);
    const repo = bareRepo(root, 'evil');
    server.fallback = { kind: 'json', value: { summary: 'x', files: [{ path: '../outside.txt', content: 'x' }] }, usage: { input: 1, output: 1 } };
    const run = await h.waitRun((await h.submit({ definition: { stages: [{ name: 'scaffold', agent: 'scaffold', input: { name: 'evil', generator: 'model', requirements: 'x', repository: repo.url } }] } })).id, undefined, 60_000);
    expect(run.status).toBe('failed');
    expect(stageOf(run, 'scaffold').error).toMatchObject({ code: 'MODEL_OUTPUT_INVALID' });
  }, 120_000);
});
