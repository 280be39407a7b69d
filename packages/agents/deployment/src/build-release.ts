import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildProject, checkoutCommit, installDependencies, prepareProject, readPackageJson, skippedStep, stepContextFor } from '@baton/agent-kit';
import type { StepReport } from '@baton/contracts';
import { NonRetryableError } from '@baton/runtime';
import type { DeployRequest } from './deploy-target.js';
import type { DeploymentConfig } from './env.js';
import { RELEASE_MARKER, type AppReleases, type ReleaseMarker } from './releases.js';
import { startSpec } from './start-spec.js';

/**
 * Makes `releases/<sha>`: the commit checked out (without .git), dependencies installed, built, and
 * a marker recording how to start it. Built in a temporary directory and renamed into place, so a
 * release directory is always complete. Reuses a release that is already built.
 */
export async function buildRelease(config: DeploymentConfig, releases: AppReleases, req: DeployRequest): Promise<{ marker: ReleaseMarker; steps: StepReport[] }> {
  const existing = await releases.marker(req.sha);
  if (existing) return { marker: existing, steps: [skippedStep('build', `release ${req.sha.slice(0, 12)} is already built`).report] };

  const { input, signal, artifacts, log, output } = req.ctx;
  const tmp = releases.tempDir(req.sha);
  try {
    await checkoutCommit(req.git, { ...input.repository, sha: req.sha }, tmp);
    await rm(join(tmp, '.git'), { recursive: true, force: true });
    const pkg = await readPackageJson(tmp);
    const sctx = await prepareProject(config, stepContextFor(config, tmp, { signal, artifacts, log, output }), pkg, { timeoutMs: input.installTimeoutMs });
    const install = await installDependencies(sctx, pkg, { mode: input.install, command: input.installCommand, timeoutMs: input.installTimeoutMs });
    const build = await buildProject(sctx, pkg, { command: input.build, timeoutMs: input.buildTimeoutMs });
    const command = input.start ?? pkg?.scripts?.start;
    if (!command) throw new NonRetryableError('NO_START_COMMAND', 'the project has no "start" script; set start');
    const marker: ReleaseMarker = { sha: req.sha, builtAt: new Date().toISOString(), start: startSpec(command), ...(sctx.env.PATH ? { path: sctx.env.PATH } : {}) };
    await writeFile(join(tmp, RELEASE_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
    try {
      await rename(tmp, releases.dirOf(req.sha));
    } catch (e: unknown) {
      // Built concurrently by someone else: theirs is as good as ours.
      if (!(await releases.marker(req.sha))) throw e;
      await rm(tmp, { recursive: true, force: true });
    }
    return { marker, steps: [install, build] };
  } catch (e: unknown) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
