import { mkdir } from 'node:fs/promises';
import { remoteHead, type Git } from '@baton/agent-kit';
import { NonRetryableError } from '@baton/runtime';

export type BranchBase =
  /** A previous attempt of this run already pushed its commit: nothing to do. */
  | { kind: 'reused'; sha: string; parent: string | null }
  /** The branch exists and `overwrite` allows committing on top of it. */
  | { kind: 'branch'; sha: string }
  /** A new branch from the target branch's head. */
  | { kind: 'target'; sha: string }
  /** A new branch with no history (the repository, or at least the target branch, is empty). */
  | { kind: 'empty' };

export interface BranchPlan {
  url: string;
  branch: string;
  target: string;
  overwrite: boolean;
  runId: string;
}

export const RUN_TRAILER = 'Baton-Run';

function trailer(message: string, key: string): string | null {
  const m = new RegExp(`^${key}:\\s*(\\S+)\\s*$`, 'm').exec(message);
  return m?.[1] ?? null;
}

/**
 * Sets up `repo` (a fresh `git init`) with the work branch checked out and decides what it starts
 * from. Refuses (BRANCH_NOT_EMPTY) to commit onto an existing branch unless `overwrite`.
 */
export async function prepareBranch(git: Git, plan: BranchPlan, repo: string): Promise<BranchBase> {
  await mkdir(repo, { recursive: true });
  await git.must(['init', '-q', repo], repo);
  await git.must(['remote', 'add', 'origin', plan.url], repo);
  const branchHead = await remoteHead(git, plan.url, plan.branch, repo);
  if (branchHead) {
    await git.must(['fetch', '-q', '--no-tags', '--depth', '2', 'origin', `refs/heads/${plan.branch}`], repo);
    const message = await git.must(['log', '-1', '--format=%B', 'FETCH_HEAD'], repo);
    if (trailer(message, RUN_TRAILER) === plan.runId) {
      const parents = await git.must(['log', '-1', '--format=%P', 'FETCH_HEAD'], repo);
      return { kind: 'reused', sha: branchHead, parent: parents.split(' ')[0] || null };
    }
    if (!plan.overwrite) {
      throw new NonRetryableError('BRANCH_NOT_EMPTY', `branch "${plan.branch}" already exists in ${plan.url} (at ${branchHead.slice(0, 12)}); set overwrite: true to commit on top of it`, {
        branch: plan.branch,
        sha: branchHead,
      });
    }
    await git.must(['checkout', '-q', '-B', plan.branch, 'FETCH_HEAD'], repo);
    return { kind: 'branch', sha: branchHead };
  }
  const targetHead = plan.branch === plan.target ? null : await remoteHead(git, plan.url, plan.target, repo);
  if (targetHead) {
    await git.must(['fetch', '-q', '--no-tags', '--depth', '1', 'origin', `refs/heads/${plan.target}`], repo);
    await git.must(['checkout', '-q', '-B', plan.branch, 'FETCH_HEAD'], repo);
    return { kind: 'target', sha: targetHead };
  }
  await git.must(['checkout', '-q', '--orphan', plan.branch], repo);
  return { kind: 'empty' };
}
