import { mkdir } from 'node:fs/promises';
import type { RepoRef, RepoTarget } from '@baton/contracts';
import { NonRetryableError } from '@baton/runtime';
import { gitFailure, type Git } from './git.js';

/**
 * The commit at the head of `branch` on `url`, or null when the branch does not exist. Throws a
 * retryable GitError when the remote cannot be read.
 */
export async function remoteHead(git: Git, url: string, branch: string, cwd: string): Promise<string | null> {
  const args = ['ls-remote', '--exit-code', '--heads', url, `refs/heads/${branch}`];
  const r = await git.run(args, cwd);
  if (r.exitCode === 2 && !r.timedOut) return null; // --exit-code: no matching ref
  if (!r.ok) throw gitFailure(args, r, git.timeoutMs);
  const line = r.stdout.split('\n').find((l) => l.endsWith(`\trefs/heads/${branch}`));
  return line ? line.split('\t')[0]! : null;
}

/** The full commit SHA the target points at: its sha, or the head of its branch. */
export async function resolveTarget(git: Git, target: RepoTarget, cwd: string): Promise<string> {
  if (target.sha) return target.sha;
  const head = await remoteHead(git, target.url, target.branch!, cwd);
  if (!head) throw new NonRetryableError('BRANCH_NOT_FOUND', `branch "${target.branch}" does not exist in ${target.url}`, { branch: target.branch });
  return head;
}

/**
 * Fetches one commit of a repository into a new checkout at `dir` and checks it out (detached).
 * Shallow by default; falls back to fetching the branch when the server refuses to serve a bare SHA.
 */
export async function checkoutCommit(git: Git, target: RepoTarget, dir: string, opts: { depth?: number } = {}): Promise<RepoRef> {
  await mkdir(dir, { recursive: true });
  const sha = await resolveTarget(git, target, dir);
  await git.must(['init', '-q', dir], dir);
  await git.must(['remote', 'add', 'origin', target.url], dir);
  const depth = opts.depth === undefined ? ['--depth', '1'] : opts.depth > 0 ? ['--depth', String(opts.depth)] : [];
  const bySha = await git.run(['fetch', '-q', '--no-tags', ...depth, 'origin', sha], dir);
  if (!bySha.ok) {
    const refspec = target.branch ? `+refs/heads/${target.branch}:refs/remotes/origin/${target.branch}` : '+refs/heads/*:refs/remotes/origin/*';
    await git.must(['fetch', '-q', '--no-tags', 'origin', refspec], dir);
    const has = await git.run(['cat-file', '-e', `${sha}^{commit}`], dir);
    if (!has.ok) throw new NonRetryableError('COMMIT_NOT_FOUND', `commit ${sha} is not in ${target.url}`, { sha });
  }
  await git.must(['checkout', '-q', '--detach', sha], dir);
  return {
    url: target.url,
    branch: target.branch ?? null,
    sha,
    ...(target.credentialRef ? { credentialRef: target.credentialRef } : {}),
    ...(target.username ? { username: target.username } : {}),
  };
}
