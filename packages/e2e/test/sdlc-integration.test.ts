import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IntegrationOutput } from '@baton/contracts';
import { useTestStack } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { bareRepo, commitFiles, describeRun, git, headOf, scratch, stageOf, startSdlcAgents, type TestRepo } from './sdlc-support.js';

const stack = useTestStack();

/** main: a.txt, b.txt, c.txt; feature (from main) changes a and b; then main changes a and b differently. */
function conflictingRepo(root: string): { repo: TestRepo; feature: string; main: string } {
  const repo = bareRepo(root, 'conflict', { 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n' });
  const feature = commitFiles(root, repo, 'feature', { 'a.txt': 'a from feature\n', 'b.txt': 'b from feature\n', 'd.txt': 'new\n' }, 'feature work', { create: true, from: 'main' });
  const main = commitFiles(root, repo, 'main', { 'a.txt': 'a from main\n', 'b.txt': 'b from main\n' }, 'main moved on');
  return { repo, feature, main };
}

const integrationStage = (input: Record<string, unknown>) => ({ definition: { stages: [{ name: 'integration', agent: 'integration', input }] } });

describe('integration', () => {
  it('fails a conflicting branch non-retryably listing the files, and merges it with a strategy', async () => {
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-integration');
    await startSdlcAgents(stack, h, root, ['integration']);
    const { repo, feature, main } = conflictingRepo(root);

    const conflicted = await h.submit(integrationStage({ repository: { url: repo.url, branch: 'feature' }, targetBranch: 'main' }));
    const failed = await h.waitRun(conflicted.id, undefined, 60_000);
    expect(failed.status, describeRun(failed)).toBe('failed');
    const error = stageOf(failed, 'integration').error!;
    expect(error).toMatchObject({ code: 'MERGE_CONFLICT', retryable: false, details: { files: ['a.txt', 'b.txt'], strategy: 'none' } });
    expect(error.message).toContain('a.txt, b.txt');
    expect(headOf(repo, 'main')).toBe(main);

    const resolved = await h.submit(integrationStage({ repository: { url: repo.url, branch: 'feature', sha: feature }, targetBranch: 'main', strategy: 'theirs' }));
    const merged = await h.waitRun(resolved.id, undefined, 60_000);
    expect(merged.status, describeRun(merged)).toBe('succeeded');
    const out = stageOf(merged, 'integration').output as IntegrationOutput;
    expect(out).toMatchObject({ mergedSha: feature, previousTargetSha: main, resolvedConflicts: ['a.txt', 'b.txt'], strategy: 'theirs', createdTarget: false, alreadyMerged: false });
    expect(out.repository).toMatchObject({ url: repo.url, branch: 'main', sha: out.mergeSha });
    expect(headOf(repo, 'main')).toBe(out.mergeSha);
    expect(git(repo.dir, 'log', '-1', '--format=%P', 'main').split(' ')).toEqual([main, feature]);
    expect(git(repo.dir, 'log', '-1', '--format=%B', 'main')).toContain(`Baton-Run: ${resolved.id}`);
    expect(git(repo.dir, 'show', 'main:a.txt')).toBe('a from feature');
    expect(git(repo.dir, 'show', 'main:c.txt')).toBe('c');

    // Run again: the commit is already in main, nothing to merge or push.
    const again = await h.waitRun((await h.submit(integrationStage({ repository: { url: repo.url, sha: feature }, targetBranch: 'main' }))).id, undefined, 60_000);
    expect(stageOf(again, 'integration').output).toMatchObject({ alreadyMerged: true, mergeSha: out.mergeSha });
  }, 120_000);

  it('merges again on top of a target that moved before the push, and runs the post-merge command each time', async () => {
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-integration');
    // The post-merge command plays the concurrent pusher (it writes outside its workspace and pushes to
    // the bare repository), which the sandbox forbids — that is its point; here the race is under test.
    await startSdlcAgents(stack, h, root, ['integration'], { BATON_SANDBOX: 'off' });
    const repo = bareRepo(root, 'moving', { 'a.txt': 'a\n' });
    const feature = commitFiles(root, repo, 'feature', { 'f.txt': 'feature\n' }, 'feature work', { create: true, from: 'main' });
    // The post-merge "test" pushes another commit to main the first time it runs: the push that
    // follows is rejected, and the agent must fetch, merge again and test again.
    const marker = join(root, 'moved-once');
    const count = join(root, 'post-merge-runs');
    const script = [
      `echo run >> "${count}"`,
      `if [ ! -f "${marker}" ]; then touch "${marker}"; d=$(mktemp -d); git clone -q "${repo.url}" "$d/c" && cd "$d/c" && echo x > moved.txt && git add moved.txt && git commit -q -m "someone else" && git push -q origin HEAD:main; fi`,
    ].join('\n');
    const identity = { GIT_AUTHOR_NAME: 'Other', GIT_AUTHOR_EMAIL: 'o@example.com', GIT_COMMITTER_NAME: 'Other', GIT_COMMITTER_EMAIL: 'o@example.com' };

    const created = await h.submit(integrationStage({ repository: { url: repo.url, branch: 'feature' }, targetBranch: 'main', postMerge: { command: script, env: identity } }));
    const run = await h.waitRun(created.id, undefined, 60_000);
    expect(run.status, describeRun(run)).toBe('succeeded');
    const out = stageOf(run, 'integration').output as IntegrationOutput;
    expect(out.pushAttempts).toBe(2);
    expect(out.postMerge.map((s) => [s.name, s.status])).toEqual([
      ['post-merge-install', 'skipped'],
      ['post-merge', 'passed'],
    ]);
    const parents = git(repo.dir, 'log', '-1', '--format=%P', 'main').split(' ');
    expect(parents[1]).toBe(feature);
    expect(git(repo.dir, 'log', '-1', '--format=%s', parents[0]!)).toBe('someone else');
    expect(git(repo.dir, 'ls-tree', '--name-only', 'main').split('\n').sort()).toEqual(['a.txt', 'f.txt', 'moved.txt']);
    expect(readFileSync(count, 'utf8').trim().split('\n')).toHaveLength(2);
  }, 90_000);

  it('creates the target branch when the repository does not have it yet', async () => {
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-integration');
    await startSdlcAgents(stack, h, root, ['integration']);
    const repo = bareRepo(root, 'empty');
    const sha = commitFiles(root, repo, 'baton/x', { 'a.txt': 'a\n' }, 'first', { create: true });
    const run = await h.waitRun((await h.submit(integrationStage({ repository: { url: repo.url, branch: 'baton/x' }, targetBranch: 'main' }))).id, undefined, 60_000);
    expect(run.status, describeRun(run)).toBe('succeeded');
    expect(stageOf(run, 'integration').output).toMatchObject({ createdTarget: true, mergeSha: sha, previousTargetSha: null });
    expect(headOf(repo, 'main')).toBe(sha);
  }, 60_000);
});
