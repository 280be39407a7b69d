import type { IntegrationOutput } from '@baton/contracts';
import { startFakeModelServer, useTestStack } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { bareRepo, commitFiles, describeRun, git, headOf, scratch, stageOf, startSdlcAgents } from './sdlc-support.js';

/** integration strategy "model" against the local provider server (the OpenAI protocol, through the official SDK in the agent process). */
const stack = useTestStack();

const TEST = "const test = require('node:test');\nconst assert = require('node:assert');\nconst m = require('../math.js');\ntest('both helpers', () => { assert.strictEqual(m.double(2), 4); assert.strictEqual(m.square(3), 9); });\n";

describe('integration with strategy "model"', () => {
  it('pushes the model resolution when the post-merge command passes, and nothing when it fails', async () => {
    const server = await startFakeModelServer();
    stack.defer(() => server.close());
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-model-merge');
    await startSdlcAgents(stack, h, root, ['integration'], {
      BATON_MODEL_PROVIDER: 'openai',
      BATON_MODEL_BASE_URL: server.openaiUrl,
      BATON_MODEL_NAME: 'model-a',
      BATON_MODEL_API_KEY_SECRET: 'BATON_SECRET_MODEL_KEY',
      BATON_SECRET_MODEL_KEY: 'sk-test',
      BATON_SECRET_MODEL_KEY_SCOPE: `urls=${server.anthropicUrl}/;role=submitter`,
    });
    const pkg = JSON.stringify({ name: 'math', version: '1.0.0', private: true, scripts: { test: 'node --test' } });
    // main and feature both append a different helper to math.js: a textual conflict; the test needs both.
    const repo = bareRepo(root, 'math', { 'package.json': pkg, 'math.js': 'exports.one = 1;\n' });
    const feature = commitFiles(root, repo, 'feature', { 'math.js': 'exports.one = 1;\nexports.square = (x) => x * x;\n', 'test/math.test.js': TEST }, 'square', { create: true, from: 'main' });
    const main = commitFiles(root, repo, 'main', { 'math.js': 'exports.one = 1;\nexports.double = (x) => 2 * x;\n' }, 'double');
    const stage = { name: 'integration', agent: 'integration', input: { repository: { url: repo.url, branch: 'feature', sha: feature }, targetBranch: 'main', strategy: 'model', postMerge: { command: 'npm test' } } };

    // A resolution that drops one side: the post-merge test fails, nothing is pushed.
    server.script({ kind: 'json', value: { files: [{ path: 'math.js', content: 'exports.one = 1;\nexports.square = (x) => x * x;\n', note: 'kept theirs' }] }, usage: { input: 300, output: 40 } });
    const broken = await h.waitRun((await h.submit({ definition: { stages: [stage] } })).id, undefined, 120_000);
    expect(broken.status, describeRun(broken)).toBe('failed');
    expect(stageOf(broken, 'integration').error).toMatchObject({ code: 'POST_MERGE_FAILED' });
    expect(headOf(repo, 'main')).toBe(main);
    // The model saw both sides and the conflict markers.
    const prompt = (server.requests[0]!.body as { messages: { role: string; content: string }[] }).messages.find((m) => m.role === 'user')!.content;
    expect(prompt).toContain('exports.double');
    expect(prompt).toContain('exports.square');
    expect(prompt).toContain('<<<<<<<');

    // A resolution keeping both: the test passes and the merge is pushed, listing what it changed.
    server.script({ kind: 'json', value: { files: [{ path: 'math.js', content: 'exports.one = 1;\nexports.double = (x) => 2 * x;\nexports.square = (x) => x * x;\n', note: 'kept both helpers' }] }, usage: { input: 300, output: 50 } });
    const merged = await h.waitRun((await h.submit({ definition: { stages: [stage] } })).id, undefined, 120_000);
    expect(merged.status, describeRun(merged)).toBe('succeeded');
    const out = stageOf(merged, 'integration').output as IntegrationOutput;
    expect(out).toMatchObject({ strategy: 'model', resolvedConflicts: ['math.js'], modelResolutions: [{ path: 'math.js', note: 'kept both helpers' }] });
    expect(headOf(repo, 'main')).toBe(out.mergeSha);
    expect(git(repo.dir, 'log', '-1', '--format=%P', 'main').split(' ')).toEqual([main, feature]);
    expect(git(repo.dir, 'log', '-1', '--format=%B', 'main')).toContain('Baton-Conflicts-Resolved-By: model');
    expect(git(repo.dir, 'show', 'main:math.js')).toContain('exports.square');
    expect(stageOf(merged, 'integration').usage).toMatchObject({ inputTokens: 300, outputTokens: 50, calls: 1 });
  }, 300_000);

  it('refuses strategy "model" without a post-merge command', async () => {
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-model-merge');
    await startSdlcAgents(stack, h, root, ['integration']);
    const repo = bareRepo(root, 'x', { 'a.txt': 'a\n' });
    const run = await h.waitRun((await h.submit({ definition: { stages: [{ name: 'integration', agent: 'integration', input: { repository: { url: repo.url, branch: 'main' }, strategy: 'model' } }] } })).id, undefined, 60_000);
    expect(stageOf(run, 'integration').error).toMatchObject({ code: 'INVALID_INPUT' });
    expect(stageOf(run, 'integration').error!.message).toContain('post-merge command');
  }, 120_000);
});
