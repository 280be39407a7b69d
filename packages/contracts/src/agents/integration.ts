import { z } from 'zod';
import { agentSpec } from './spec.js';
import { CommandLine, CommitSha, GitBranch, InstallMode, PlainEnv, RepoRef, RepoTarget, StepReport } from './repository.js';

/**
 * How conflicting hunks are resolved: `none` fails the stage listing the files; `ours` keeps the
 * target's side, `theirs` the run's; `model` asks the configured model for resolutions, which are
 * pushed only if the post-merge command (required with it) passes.
 */
export const MergeStrategy = z.enum(['none', 'ours', 'theirs', 'model']);
export type MergeStrategy = z.infer<typeof MergeStrategy>;

export const IntegrationInput = z
  .object({
    /** The run's branch and commit to merge. */
    repository: RepoTarget,
    targetBranch: GitBranch.default('main'),
    strategy: MergeStrategy.default('none'),
    /** Merge commit message (default names the branch, the target and the run). */
    message: z.string().min(1).max(2000).optional(),
    postMerge: z
      .object({
        /** Run on the merged tree before pushing; a failure stops the push. null: none. */
        command: CommandLine.nullable().default(null),
        install: InstallMode.default('auto'),
        installCommand: CommandLine.nullable().optional(),
        installTimeoutMs: z.int().min(1000).max(3_600_000).default(300_000),
        timeoutMs: z.int().min(1000).max(3_600_000).default(300_000),
        env: PlainEnv.default({}),
      })
      .strict()
      .default({ command: null, install: 'auto', installTimeoutMs: 300_000, timeoutMs: 300_000, env: {} }),
    /** Pushes tried when the target moved in between (each re-merges on top of the new target). */
    pushAttempts: z.int().min(1).max(10).default(3),
  })
  .strict()
  .superRefine((i, ctx) => {
    if (i.strategy === 'model' && !i.postMerge.command) {
      ctx.addIssue({ code: 'custom', path: ['postMerge', 'command'], message: 'strategy "model" needs a post-merge command: its resolutions are pushed only when it passes' });
    }
  });
export type IntegrationInput = z.infer<typeof IntegrationInput>;

export const IntegrationOutput = z.object({
  /** The target branch at the merge commit: what deployment takes. */
  repository: RepoRef,
  targetBranch: GitBranch,
  mergeSha: CommitSha,
  /** The run's commit that was merged. */
  mergedSha: CommitSha,
  /** The target head the merge was made on; null when the target branch was created by this stage. */
  previousTargetSha: CommitSha.nullable(),
  createdTarget: z.boolean(),
  /** The run's commit was already part of the target (a retried attempt after a push): nothing was merged or pushed. */
  alreadyMerged: z.boolean(),
  strategy: MergeStrategy,
  /** Files that conflicted and were resolved by the strategy. */
  resolvedConflicts: z.array(z.string()).max(500),
  /** With strategy "model": what it changed in each conflicted file. */
  modelResolutions: z.array(z.object({ path: z.string(), note: z.string() })).max(500).optional(),
  /** Pushes tried (0 when the commit was already merged). */
  pushAttempts: z.int().nonnegative(),
  postMerge: z.array(StepReport),
});
export type IntegrationOutput = z.infer<typeof IntegrationOutput>;

export const integrationSpec = agentSpec({
  type: 'integration',
  description: "Merges the run's branch into the target branch, runs post-merge tests and pushes",
  input: IntegrationInput,
  output: IntegrationOutput,
  concurrency: 1,
});
