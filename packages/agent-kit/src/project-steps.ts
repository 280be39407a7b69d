import type { InstallMode, StepReport } from '@baton/contracts';
import { NonRetryableError, StageFailure } from '@baton/runtime';
import { installCommand, projectScript, type PackageJson } from './node-project.js';
import { outputTail, runStep, type StepContext } from './step.js';

/**
 * Installs the project's dependencies with its package manager (see `installCommand`; call
 * `prepareProject` first), or reports why it did not; the project's warnings go on this report. A failed
 * or timed-out install throws INSTALL_FAILED, retryable: registries and networks have bad minutes.
 */
export async function installDependencies(
  sctx: StepContext,
  pkg: PackageJson | null,
  opts: { mode: InstallMode; command?: string | null | undefined; timeoutMs: number; step?: string },
): Promise<StepReport> {
  const inst = installCommand(sctx.cwd, pkg, opts.mode, opts.command, sctx.project?.pm);
  const run = await runStep(sctx, opts.step ?? 'install', inst.command, opts.timeoutMs, inst.reason, { network: true });
  const warnings = sctx.project?.warnings ?? [];
  const report = warnings.length ? { ...run.report, warnings: warnings.slice(0, 20) } : run.report;
  if (report.status === 'failed' || report.status === 'timed-out') {
    throw new StageFailure('INSTALL_FAILED', `${inst.command} ${report.reason}:\n${outputTail(run, 15)}`, { retryable: true, details: { step: report } });
  }
  return report;
}

/**
 * Builds the project: the given command (null: no build), else its `build` script if it has one.
 * A failed build throws BUILD_FAILED (not retryable: the same commit fails the same way).
 */
export async function buildProject(sctx: StepContext, pkg: PackageJson | null, opts: { command: string | null | undefined; timeoutMs: number }): Promise<StepReport> {
  const command = opts.command === undefined ? projectScript(pkg, 'build', sctx.project?.pm) : opts.command;
  const run = await runStep(sctx, 'build', command, opts.timeoutMs, opts.command === null ? 'build is null' : 'package.json has no "build" script');
  if (run.report.status === 'failed' || run.report.status === 'timed-out') {
    throw new NonRetryableError('BUILD_FAILED', `${command} ${run.report.reason}:\n${outputTail(run, 15)}`, { step: run.report });
  }
  return run.report;
}
