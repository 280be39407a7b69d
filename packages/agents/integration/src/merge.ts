import { gitFailure, type Git } from '@baton/agent-kit';
import type { MergeStrategy } from '@baton/contracts';
import { NonRetryableError } from '@baton/runtime';
import type { ModelResolution } from './model-merge.js';

const MAX_FILES = 500;

/** Files left unmerged in the working tree. */
async function unmerged(git: Git, repo: string): Promise<string[]> {
  const out = await git.must(['diff', '--name-only', '--diff-filter=U', '-z'], repo);
  return out.split('\0').filter(Boolean).sort();
}

export class MergeConflict extends NonRetryableError {
  override name = 'MergeConflict';
  constructor(
    readonly files: string[],
    what: string,
    strategy: MergeStrategy,
  ) {
    const shown = files.slice(0, 20).join(', ') + (files.length > 20 ? `, … (${files.length} files)` : '');
    const hint = strategy === 'none' ? ' (set strategy "ours" or "theirs" to resolve conflicting hunks automatically)' : ` (strategy "${strategy}" could not resolve them)`;
    super('MERGE_CONFLICT', `merging ${what} conflicts in ${files.length} file${files.length === 1 ? '' : 's'}: ${shown}${hint}`, { files: files.slice(0, MAX_FILES), strategy });
  }
}

export interface MergeResult {
  sha: string;
  /** Conflicting files the strategy resolved. */
  resolved: string[];
  /** With strategy "model": its note per file. */
  resolutions?: ModelResolution[];
}

/** Resolves the conflicted files of a merge in progress and stages them (strategy "model"). */
export type ConflictResolver = (files: string[]) => Promise<ModelResolution[]>;

/**
 * Merges `sha` into the checked-out branch with a merge commit (never a fast-forward). It first
 * tries a plain merge; on conflict it lists the files and, with a strategy, merges again with
 * `-X ours|theirs`. Conflicts no strategy resolves (or any with strategy none) throw MergeConflict.
 */
export async function mergeNoFf(git: Git, repo: string, sha: string, message: string, strategy: MergeStrategy, what: string, resolver?: ConflictResolver): Promise<MergeResult> {
  const base = ['merge', '--no-ff', '--no-edit', '--no-verify', '-m', message];
  const plain = await git.run([...base, sha], repo);
  if (plain.ok) return { sha: await git.must(['rev-parse', 'HEAD'], repo), resolved: [] };
  const conflicts = await unmerged(git, repo);
  await git.run(['merge', '--abort'], repo);
  if (conflicts.length === 0) {
    throw new NonRetryableError('MERGE_FAILED', `git merge failed: ${plain.output.trim().split('\n').slice(-6).join('\n')}`.slice(0, 4000));
  }
  if (strategy === 'none' || (strategy === 'model' && !resolver)) throw new MergeConflict(conflicts, what, strategy);
  if (strategy === 'model') {
    // Merge again, leaving the conflicts in the tree for the model to resolve; commit what it staged.
    await git.run([...base, sha], repo);
    try {
      const resolutions = await resolver!(await unmerged(git, repo));
      await git.must(['commit', '-q', '--no-verify', '-m', `${message.trimEnd()}\nBaton-Conflicts-Resolved-By: model\n`], repo);
      return { sha: await git.must(['rev-parse', 'HEAD'], repo), resolved: conflicts, resolutions };
    } catch (e: unknown) {
      await git.run(['merge', '--abort'], repo);
      throw e;
    }
  }
  const args = [...base, '-X', strategy, sha];
  const again = await git.run(args, repo);
  if (!again.ok) {
    const left = await unmerged(git, repo);
    await git.run(['merge', '--abort'], repo);
    if (left.length > 0) throw new MergeConflict(left, what, strategy);
    throw gitFailure(args, again, git.timeoutMs);
  }
  return { sha: await git.must(['rev-parse', 'HEAD'], repo), resolved: conflicts };
}

/** Pushes HEAD to `branch` without force. `moved`: the remote branch changed since it was fetched. */
export async function pushBranch(git: Git, repo: string, branch: string): Promise<'pushed' | 'moved'> {
  const args = ['push', '--porcelain', 'origin', `HEAD:refs/heads/${branch}`];
  const r = await git.run(args, repo);
  if (r.ok) return 'pushed';
  // Porcelain status lines: "<flag>\t<from>:<to>\t<summary> (<reason>)"; "!" is a rejected ref.
  const line = r.stdout.split('\n').find((l) => l.startsWith('!\t') && l.includes(`refs/heads/${branch}`));
  if (line && /\((fetch first|non-fast-forward|stale info)\)/.test(line)) return 'moved';
  throw gitFailure(args, r, git.timeoutMs);
}
