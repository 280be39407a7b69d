import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ArtifactList, ValidationOutput } from '@baton/contracts';
import { useTestStack } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { bareRepo, commitFiles, describeRun, headOf, scratch, stageOf, startSdlcAgents } from './sdlc-support.js';

const stack = useTestStack();

/** A project without dependencies (no install): node:test with the TAP reporter, one passing and one failing test. */
const FAILING_PROJECT = {
  'package.json': JSON.stringify({ name: 'calc', version: '1.0.0', private: true, scripts: { test: 'node --test --test-reporter=tap' }, license: 'MIT' }, null, 2),
  'calc.js': 'exports.add = (a, b) => a + b;\n',
  'test/calc.test.js': [
    "const test = require('node:test');",
    "const assert = require('node:assert');",
    "const { add } = require('../calc.js');",
    "test('adds', () => assert.strictEqual(add(1, 2), 3));",
    "test('adds negatives', () => assert.strictEqual(add(-1, -2), -4));",
    '',
  ].join('\n'),
};

describe('validation', () => {
  it('stops a ci run whose tests fail, with the failing count and the blocking gate', async () => {
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-validation');
    const agents = await startSdlcAgents(stack, h, root, ['validation', 'e2e', 'integration', 'deployment'], { BATON_KEEP_FAILED_WORKSPACES: 'true' });
    const repo = bareRepo(root, 'calc', { 'README.md': '# calc\n' });
    const before = headOf(repo, 'main');
    const sha = commitFiles(root, repo, 'feature', FAILING_PROJECT, 'A calculator', { create: true, from: 'main' });

    const created = await h.submit({ pipeline: 'ci', input: { name: 'calc', repository: repo.url, branch: 'feature', targetBranch: 'main' } });
    const run = await h.waitRun(created.id, undefined, 120_000);
    expect(run.status, describeRun(run)).toBe('failed');
    expect(run.stages.map((s) => [s.name, s.status])).toEqual([
      ['validation', 'failed'],
      ['e2e', 'skipped'],
      ['integration', 'skipped'],
      ['production-approval', 'skipped'], // the optional gate (off unless requireProductionApproval)
      ['deployment', 'skipped'],
    ]);
    const validation = stageOf(run, 'validation');
    expect(validation.error).toMatchObject({ code: 'QUALITY_GATE_FAILED', retryable: false });
    expect(validation.error!.message).toContain('tests.failed == 0');
    const report = validation.error!.details as unknown as ValidationOutput;
    expect(report.repository).toMatchObject({ url: repo.url, branch: 'feature', sha });
    expect(report.tests).toMatchObject({ passed: 1, failed: 1, skipped: 0, total: 2, failures: [{ name: 'adds negatives' }] });
    expect(report.steps.map((s) => [s.name, s.status])).toEqual([
      ['install', 'skipped'],
      ['typecheck', 'skipped'],
      ['lint', 'skipped'],
      ['test', 'failed'],
    ]);
    expect(report.gates).toEqual([
      expect.objectContaining({ check: 'typecheck.errors == 0', status: 'skipped' }),
      expect.objectContaining({ check: 'lint.errors == 0', status: 'skipped' }),
      { check: 'tests.failed == 0', severity: 'blocking', status: 'failed', actual: 1, reason: 'tests.failed is 1' },
      expect.objectContaining({ check: 'coverage.lines >= 80', severity: 'warning', status: 'failed', actual: null }),
    ]);
    expect(report.passed).toBe(false);
    // Nothing was merged.
    expect(headOf(repo, 'main')).toBe(before);
    // The failed stage's workspace was kept for debugging (BATON_KEEP_FAILED_WORKSPACES).
    const kept = readdirSync(join(agents.dataDir, 'work', 'validation')).filter((n) => n.startsWith(run.id));
    expect(kept).toHaveLength(1);
    expect(existsSync(join(agents.dataDir, 'work', 'validation', kept[0]!, 'repo', 'calc.js'))).toBe(true);
  }, 150_000);

  it('passes with warnings only, evaluating configured gates and commands', async () => {
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-validation');
    await startSdlcAgents(stack, h, root, ['validation']);
    const repo = bareRepo(root, 'calc', FAILING_PROJECT);
    const created = await h.submit({
      definition: {
        stages: [
          {
            name: 'check',
            agent: 'validation',
            input: {
              repository: { url: repo.url, branch: 'main' },
              commands: { lint: "echo 'x.js: 1 problem (0 errors, 1 warning)'", typecheck: null },
              gates: ['tests.total == 2', { check: 'tests.failed == 0', severity: 'warning' }, { check: 'lint.warnings == 0', severity: 'warning' }],
            },
          },
        ],
      },
    });
    const run = await h.waitRun(created.id, undefined, 60_000);
    expect(run.status, describeRun(run)).toBe('succeeded');
    const out = stageOf(run, 'check').output as ValidationOutput;
    expect(out.passed).toBe(true);
    expect(out.lint).toEqual({ errors: 0, warnings: 1 });
    expect(out.gates.map((g) => [g.check, g.severity, g.status])).toEqual([
      ['tests.total == 2', 'blocking', 'passed'],
      ['tests.failed == 0', 'warning', 'failed'],
      ['lint.warnings == 0', 'warning', 'failed'],
    ]);
  }, 90_000);

  it('runs project commands with an environment allowlist: no agent secrets or Redis settings reach them or their logs', async () => {
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-validation');
    await startSdlcAgents(stack, h, root, ['validation'], { BATON_SECRET_DEPLOY_TOKEN: 'tok-5up3r-s3cr3t', PRIVATE_SETTING: 'private-value' });
    const repo = bareRepo(root, 'calc', FAILING_PROJECT);
    const created = await h.submit({
      definition: { stages: [{ name: 'check', agent: 'validation', input: { repository: { url: repo.url, branch: 'main' }, commands: { test: 'env | sort' }, gates: [], env: { EXTRA: 'given' } } }] },
    });
    const run = await h.waitRun(created.id, undefined, 60_000);
    expect(run.status, describeRun(run)).toBe('succeeded');
    const logs = (await h.request<ArtifactList>('GET', `/v1/runs/${created.id}/artifacts`)).body.items;
    const testLog = logs.find((a) => a.name === 'test.log')!;
    const text = (await h.app.inject({ method: 'GET', url: `/v1/runs/${created.id}/artifacts/${testLog.id}`, headers: h.headers })).body;
    expect(text).toMatch(/^PATH=/m);
    expect(text).toMatch(/^EXTRA=given$/m);
    expect(text).toMatch(/^npm_config_cache=/m);
    for (const leaked of ['tok-5up3r-s3cr3t', 'private-value', 'REDIS_URL', 'BATON_NAMESPACE', 'BATON_SECRET_']) expect(text).not.toContain(leaked);
    expect(JSON.stringify(run)).not.toContain('tok-5up3r-s3cr3t');
  }, 60_000);
});
