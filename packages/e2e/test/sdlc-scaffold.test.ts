import { noopAgent } from '@baton/agent-noop';
import { secretScopesFromEnv, type ScaffoldOutput } from '@baton/contracts';
import { useTestStack } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { bareRepo, commitFiles, describeRun, git, headOf, scratch, stageOf, startSdlcAgents } from './sdlc-support.js';

const stack = useTestStack();

const scaffoldStage = (input: Record<string, unknown>) => ({ definition: { stages: [{ name: 'scaffold', agent: 'scaffold', input }] } });

describe('scaffold', () => {
  it('refuses to write to a branch that already has commits unless told to overwrite', async () => {
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-scaffold');
    await startSdlcAgents(stack, h, root, ['scaffold']);
    const repo = bareRepo(root, 'app', { 'README.md': '# app\n' });
    const taken = commitFiles(root, repo, 'taken', { 'notes.txt': 'mine\n' }, 'someone else’s work', { create: true, from: 'main' });
    const input = { name: 'app', template: 'ts-http-service', repository: repo.url, branch: 'taken' };

    const refused = await h.waitRun((await h.submit(scaffoldStage(input))).id, undefined, 30_000);
    expect(refused.status).toBe('failed');
    expect(stageOf(refused, 'scaffold').error).toMatchObject({ code: 'BRANCH_NOT_EMPTY', retryable: false, details: { branch: 'taken', sha: taken } });
    expect(headOf(repo, 'taken')).toBe(taken);

    const overwritten = await h.waitRun((await h.submit(scaffoldStage({ ...input, overwrite: true }))).id, undefined, 30_000);
    expect(overwritten.status, describeRun(overwritten)).toBe('succeeded');
    const out = stageOf(overwritten, 'scaffold').output as ScaffoldOutput;
    expect(out.baseSha).toBe(taken);
    expect(git(repo.dir, 'log', '-1', '--format=%P', 'taken')).toBe(taken);
    expect(git(repo.dir, 'show', 'taken:notes.txt')).toBe('mine');
    expect(headOf(repo, 'taken')).toBe(out.commitSha);
  }, 60_000);

  it('scaffolds a library into an empty repository, on a branch with no history', async () => {
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-scaffold');
    await startSdlcAgents(stack, h, root, ['scaffold']);
    const repo = bareRepo(root, 'lib');
    const run = await h.waitRun((await h.submit(scaffoldStage({ name: 'text-utils', template: 'ts-library', repository: repo.url, options: { description: 'Text helpers' } }))).id, undefined, 30_000);
    expect(run.status, describeRun(run)).toBe('succeeded');
    const out = stageOf(run, 'scaffold').output as ScaffoldOutput;
    expect(out).toMatchObject({ baseSha: null, template: 'ts-library', reused: false, filesReplaced: [], targetBranch: 'main' });
    expect(out.repository).toEqual({ url: repo.url, branch: `baton/${run.id}`, sha: out.commitSha });
    expect(out.fileCount).toBe(out.filesCreated.length);
    expect(git(repo.dir, 'ls-tree', '-r', '--name-only', out.commitSha).split('\n').sort()).toEqual([...out.filesCreated].sort());
    expect(JSON.parse(git(repo.dir, 'show', `${out.commitSha}:package.json`))).toMatchObject({ name: 'text-utils', description: 'Text helpers' });
    expect(git(repo.dir, 'log', '--format=%P', out.commitSha)).toBe('');
  }, 60_000);

  it('a retried scaffold reuses the commit its run already pushed', async () => {
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-scaffold');
    await startSdlcAgents(stack, h, root, ['scaffold']);
    await h.agent(noopAgent);
    const repo = bareRepo(root, 'app', { 'README.md': '# app\n' });
    const created = await h.submit({
      definition: {
        stages: [
          { name: 'scaffold', agent: 'scaffold', input: { name: 'app', template: 'ts-http-service', repository: repo.url } },
          { name: 'after', agent: 'noop', dependsOn: ['scaffold'], input: { fail: { retryable: false } } },
        ],
      },
    });
    const failed = await h.waitRun(created.id, undefined, 30_000);
    expect(failed.status).toBe('failed');
    const first = stageOf(failed, 'scaffold').output as ScaffoldOutput;
    expect(first.reused).toBe(false);

    expect((await h.request('POST', `/v1/runs/${created.id}/retry`, { fromStage: 'scaffold' })).status).toBe(200);
    const again = await h.waitRun(created.id, (r) => stageOf(r, 'scaffold').attempts > 0 && ['succeeded', 'failed'].includes(stageOf(r, 'scaffold').status) && r.status === 'failed', 30_000);
    const second = stageOf(again, 'scaffold').output as ScaffoldOutput;
    expect(second).toMatchObject({ reused: true, commitSha: first.commitSha, baseSha: first.baseSha });
    expect(headOf(repo, `baton/${created.id}`)).toBe(first.commitSha);
  }, 60_000);

  it('refuses a credential reference the agent has no secret for, and never takes credentials in the URL', async () => {
    // The secret is declared (scoped to a host) on both sides, but the agent was not given its value.
    const scopes = secretScopesFromEnv({ BATON_SECRET_GIT_TOKEN_SCOPE: 'urls=https://git.invalid/team/;role=admin' });
    const h = await stack.harness({ secretScopes: scopes });
    const root = scratch(stack, 'sdlc-scaffold');
    await startSdlcAgents(stack, h, root, ['scaffold'], { BATON_SECRET_GIT_TOKEN_SCOPE: 'urls=https://git.invalid/team/;role=admin' });
    const run = await h.waitRun((await h.submit(scaffoldStage({ name: 'app', template: 'ts-http-service', repository: 'https://git.invalid/team/app.git', credentialRef: 'BATON_SECRET_GIT_TOKEN' }))).id, undefined, 30_000);
    expect(stageOf(run, 'scaffold').error).toMatchObject({ code: 'SECRET_NOT_SET', retryable: false });
    const inUrl = await h.waitRun((await h.submit(scaffoldStage({ name: 'app', template: 'ts-http-service', repository: 'https://user:hunter2@example.com/x.git' }))).id, undefined, 30_000);
    expect(stageOf(inUrl, 'scaffold').error).toMatchObject({ code: 'INVALID_INPUT' });
    expect(stageOf(inUrl, 'scaffold').error!.message).toContain('credentialRef');
  }, 60_000);
});
