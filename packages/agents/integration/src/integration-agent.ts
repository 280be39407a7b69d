import { mkdir } from 'node:fs/promises';
import {
  type Git,
  gitFor,
  installDependencies,
  outputTail,
  prepareProject,
  readPackageJson,
  reapOrphans,
  remoteHead,
  resolveTarget,
  runStep,
  type StepContext,
  stepContextFor,
  withWorkspace,
} from '@baton/agent-kit';
import { integrationSpec, type IntegrationInput, type IntegrationOutput, type StepReport } from '@baton/contracts';
import { defineAgent, NonRetryableError, StageFailure } from '@baton/runtime';
import type { IntegrationConfig } from './env.js';
import { mergeNoFf, pushBranch } from './merge.js';

/** Runs the post-merge install and command on the merged tree (with its package manager on the PATH); throws when they fail. */
async function postMerge(config: IntegrationConfig, base: StepContext, repo: string, cfg: IntegrationInput['postMerge']): Promise<StepReport[]> {
  if (!cfg.command) return [];
  const pkg = await readPackageJson(repo);
  const sctx = await prepareProject(config, base, pkg, { timeoutMs: cfg.installTimeoutMs });
  const install = await installDependencies(sctx, pkg, { mode: cfg.install, command: cfg.installCommand, timeoutMs: cfg.installTimeoutMs, step: 'post-merge-install' });
  const test = await runStep(sctx, 'post-merge', cfg.command, cfg.timeoutMs);
  if (test.report.status !== 'passed') {
    throw new NonRetryableError('POST_MERGE_FAILED', `the post-merge command ${test.report.reason}; nothing was pushed:\n${outputTail(test, 20)}`, { steps: [install, test.report] });
  }
  return [install, test.report];
}

/** Fetches the run's commit with its history (a merge needs the merge base). */
async function fetchRunCommit(git: Git, repo: string, input: IntegrationInput, sha: string): Promise<void> {
  if ((await git.run(['fetch', '-q', '--no-tags', 'origin', sha], repo)).ok) return;
  const refspec = input.repository.branch ? `+refs/heads/${input.repository.branch}:refs/remotes/origin/${input.repository.branch}` : '+refs/heads/*:refs/remotes/origin/*';
  await git.must(['fetch', '-q', '--no-tags', 'origin', refspec], repo);
  if (!(await git.run(['cat-file', '-e', `${sha}^{commit}`], repo)).ok) {
    throw new NonRetryableError('COMMIT_NOT_FOUND', `commit ${sha} is not in ${input.repository.url}`, { sha });
  }
}

/** The integration agent: merges the run's branch into the target (a merge commit), tests the result, pushes. */
export function createIntegrationAgent(config: IntegrationConfig) {
  return defineAgent({
    ...integrationSpec,
    // Process groups a crashed predecessor on this host left running are stopped before the first task.
    onStart: ({ log }) => reapOrphans(config, log).then(() => undefined),
    async handler({ input, runId, stage, attempt, signal, log, progress, artifacts, output: liveOutput }): Promise<IntegrationOutput> {
      await reapOrphans(config, log);
      return withWorkspace(config.workRoot, `${runId}-${stage}-a${attempt}`, { keepOnFailure: config.keepFailedWorkspaces, log }, async (ws) => {
        const { url } = input.repository;
        const target = input.targetBranch;
        const git = await gitFor(config, input.repository, signal, ws.dir);
        const repo = ws.path('repo');
        await mkdir(repo);
        await git.must(['init', '-q', repo], repo);
        await git.must(['remote', 'add', 'origin', url], repo);
        const runSha = await resolveTarget(git, input.repository, repo);
        await fetchRunCommit(git, repo, input, runSha);
        const source = input.repository.branch ?? runSha.slice(0, 12);
        const message = input.message ?? `Merge ${source} into ${target}\n\nBaton-Run: ${runId}\n`;
        const sctx = stepContextFor(config, repo, { signal, artifacts, log, output: liveOutput }, input.postMerge.env);
        progress({ percent: 15, message: `fetched ${source} (${runSha.slice(0, 12)})` });

        const output = (o: Pick<IntegrationOutput, 'mergeSha' | 'previousTargetSha' | 'createdTarget' | 'alreadyMerged' | 'resolvedConflicts' | 'pushAttempts' | 'postMerge'>): IntegrationOutput => ({
          repository: {
            url,
            branch: target,
            sha: o.mergeSha,
            ...(input.repository.credentialRef ? { credentialRef: input.repository.credentialRef } : {}),
            ...(input.repository.username ? { username: input.repository.username } : {}),
          },
          targetBranch: target,
          mergedSha: runSha,
          strategy: input.strategy,
          ...o,
        });

        for (let n = 1; n <= input.pushAttempts; n++) {
          const targetHead = await remoteHead(git, url, target, repo);
          if (!targetHead) {
            // No target branch yet (an empty repository): it starts at the run's commit.
            await git.must(['checkout', '-q', '-f', '--detach', runSha], repo);
            const steps = await postMerge(config, sctx, repo, input.postMerge);
            if ((await pushBranch(git, repo, target)) === 'moved') continue;
            log.info({ target, sha: runSha }, 'target branch created');
            return output({ mergeSha: runSha, previousTargetSha: null, createdTarget: true, alreadyMerged: false, resolvedConflicts: [], pushAttempts: n, postMerge: steps });
          }
          await git.must(['fetch', '-q', '--no-tags', 'origin', `+refs/heads/${target}:refs/remotes/origin/${target}`], repo);
          if ((await git.run(['merge-base', '--is-ancestor', runSha, targetHead], repo)).exitCode === 0) {
            log.info({ target, sha: targetHead }, 'the run is already merged into the target');
            return output({ mergeSha: targetHead, previousTargetSha: targetHead, createdTarget: false, alreadyMerged: true, resolvedConflicts: [], pushAttempts: n - 1, postMerge: [] });
          }
          await git.must(['checkout', '-q', '-f', '-B', target, targetHead], repo);
          await git.run(['clean', '-fdq'], repo); // keeps ignored files (node_modules) between attempts
          const merged = await mergeNoFf(git, repo, runSha, message, input.strategy, `${source} into ${target}`);
          progress({ percent: 40, message: `merged into ${target} at ${merged.sha.slice(0, 12)}` });
          const steps = await postMerge(config, sctx, repo, input.postMerge);
          progress({ percent: 80, message: `pushing ${target}` });
          if ((await pushBranch(git, repo, target)) === 'pushed') {
            log.info({ target, mergeSha: merged.sha, pushAttempts: n }, 'merged and pushed');
            return output({
              mergeSha: merged.sha,
              previousTargetSha: targetHead,
              createdTarget: false,
              alreadyMerged: false,
              resolvedConflicts: merged.resolved,
              pushAttempts: n,
              postMerge: steps,
            });
          }
          log.info({ target, attempt: n }, 'the target moved while we merged; merging again on top of it');
        }
        throw new StageFailure('TARGET_MOVED', `${target} kept moving: ${input.pushAttempts} pushes were rejected`, { retryable: true });
      });
    },
  });
}
