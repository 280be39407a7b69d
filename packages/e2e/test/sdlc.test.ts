import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ArtifactList, DeploymentOutput, E2eOutput, IntegrationOutput, ScaffoldOutput, ValidationOutput } from '@baton/contracts';
import { useTestStack } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { bareRepo, commitFiles, describeRun, git, headOf, scratch, stageOf, startSdlcAgents } from './sdlc-support.js';

const stack = useTestStack();

describe('the sdlc pipeline', () => {
  it('turns a project request into a deployed service whose health URL answers; ci then releases a change', async () => {
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc');
    const agents = await startSdlcAgents(stack, h, root, ['scaffold', 'validation', 'e2e', 'integration', 'deployment']);
    const repo = bareRepo(root, 'hello-svc', { 'README.md': '# hello-svc\n' });
    const initial = headOf(repo, 'main');

    const created = await h.submit({ pipeline: 'sdlc', input: { name: 'hello-svc', template: 'ts-http-service', repository: repo.url, targetBranch: 'main' } });
    const run = await h.waitRun(created.id, undefined, 280_000);
    expect(run.status, describeRun(run)).toBe('succeeded');
    expect(run.stages.map((s) => s.name)).toEqual(['scaffold', 'validation', 'e2e', 'integration', 'production-approval', 'deployment']);
    // The production approval is off by default (input.requireProductionApproval): skipped, deployment ran.
    expect(stageOf(run, 'production-approval')).toMatchObject({ status: 'skipped', condition: { result: false } });

    // scaffold: a project on baton/<run id>, branched from main.
    const scaffold = stageOf(run, 'scaffold').output as ScaffoldOutput;
    expect(scaffold.repository).toMatchObject({ url: repo.url, branch: `baton/${run.id}` });
    expect(scaffold.baseSha).toBe(initial);
    expect(scaffold.filesCreated).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'README.md', 'src/app.ts', 'src/app.test.ts', 'tsconfig.json', '.gitignore']));
    expect(scaffold.filesReplaced).toEqual(['README.md']);
    expect(headOf(repo, `baton/${run.id}`)).toBe(scaffold.commitSha);

    // validation: real counts from the project's typecheck, lint and tests.
    const validation = stageOf(run, 'validation').output as ValidationOutput;
    expect(validation.steps.map((s) => [s.name, s.status])).toEqual([
      ['install', 'passed'],
      ['typecheck', 'passed'],
      ['lint', 'passed'],
      ['test', 'passed'],
    ]);
    expect(validation.steps[0]!.command).toBe('npm ci');
    expect(validation.tests).toEqual({ passed: 9, failed: 0, skipped: 0, total: 9, source: 'node:test tap' });
    expect(validation.typecheck).toEqual({ errors: 0 });
    expect(validation.lint).toEqual({ errors: 0, warnings: 0 });
    expect(validation.coverage?.lines).toBeGreaterThanOrEqual(80);
    expect(validation.gates.every((g) => g.status === 'passed')).toBe(true);

    // e2e: the app ran on a free port and answered; it is gone now.
    const e2e = stageOf(run, 'e2e').output as E2eOutput;
    expect(e2e.checks).toEqual([expect.objectContaining({ path: '/health', status: 'passed', httpStatus: 200 })]);
    expect(['passed', 'skipped']).toContain(e2e.browser.status);
    await expect(fetch(`${e2e.baseUrl}/health`)).rejects.toThrow();

    // integration: a merge commit naming the run, on main.
    const integration = stageOf(run, 'integration').output as IntegrationOutput;
    expect(integration).toMatchObject({ targetBranch: 'main', mergedSha: scaffold.commitSha, previousTargetSha: initial, createdTarget: false, pushAttempts: 1 });
    expect(headOf(repo, 'main')).toBe(integration.mergeSha);
    expect(git(repo.dir, 'log', '-1', '--format=%P', 'main').split(' ')).toEqual([initial, scaffold.commitSha]);
    expect(git(repo.dir, 'log', '-1', '--format=%B', 'main')).toContain(`Baton-Run: ${run.id}`);

    // deployment: the merged commit serves under PM2.
    const deployment = stageOf(run, 'deployment').output as DeploymentOutput;
    expect(deployment).toMatchObject({ target: 'local', app: 'hello-svc', releaseId: integration.mergeSha, rolledBack: false, previousRelease: null, activeRelease: integration.mergeSha });
    expect(deployment.health.ok).toBe(true);
    const res = await fetch(`${deployment.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', service: 'hello-svc', release: integration.mergeSha });
    const greeting = await fetch(`${deployment.url}/api/greeting?name=Baton`);
    expect(await greeting.json()).toEqual({ greeting: 'Hello, Baton!' });

    // Logs and reports are artifacts of the run.
    const artifacts = (await h.request<ArtifactList>('GET', `/v1/runs/${run.id}/artifacts`)).body.items;
    const names = artifacts.map((a) => `${a.stage}/${a.name}`);
    expect(names).toEqual(expect.arrayContaining(['validation/install.log', 'validation/test.log', 'validation/validation-report.json', 'e2e/app.log', 'deployment/install.log']));
    const testLog = artifacts.find((a) => a.stage === 'validation' && a.name === 'test.log')!;
    const content = await h.app.inject({ method: 'GET', url: `/v1/runs/${run.id}/artifacts/${testLog.id}`, headers: h.headers });
    expect(content.body).toContain('# pass 9');

    // The ci pipeline takes a change on a branch of the same repository through to a new release.
    const change = commitFiles(root, repo, 'feature/docs', { 'CHANGES.md': '# Changes\n\n- documented\n' }, 'Document changes', { create: true, from: 'main' });
    const ci = await h.waitRun((await h.submit({ pipeline: 'ci', input: { name: 'hello-svc', repository: repo.url, branch: 'feature/docs', targetBranch: 'main' } })).id, undefined, 200_000);
    expect(ci.status, describeRun(ci)).toBe('succeeded');
    expect((stageOf(ci, 'validation').output as ValidationOutput).repository).toMatchObject({ branch: 'feature/docs', sha: change });
    const redeployed = stageOf(ci, 'deployment').output as DeploymentOutput;
    const merge = headOf(repo, 'main');
    expect(redeployed).toMatchObject({ releaseId: merge, previousRelease: integration.mergeSha, activeRelease: merge, url: deployment.url, rolledBack: false });
    expect(await (await fetch(`${deployment.url}/health`)).json()).toMatchObject({ release: merge });

    // Every stage's workspace is gone; only the process registries remain.
    for (const agent of ['scaffold', 'validation', 'e2e', 'integration', 'deployment']) {
      const dir = join(agents.dataDir, 'work', agent);
      expect(existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')) : [], agent).toEqual([]);
    }
  }, 300_000);
});
