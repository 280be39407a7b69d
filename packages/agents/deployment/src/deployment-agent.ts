import { gitFor, reapOrphans, redactingArtifacts, resolveSecret, resolveTarget, withWorkspace } from '@baton/agent-kit';
import { deploymentSpec, type DeployTargetKind, type DeploymentOutput } from '@baton/contracts';
import { defineAgent, NonRetryableError } from '@baton/runtime';
import type { DeployTarget } from './deploy-target.js';
import { DockerTarget } from './docker-target.js';
import type { DeploymentConfig } from './env.js';
import { LocalTarget } from './local-target.js';

/** The deployment agent: releases a commit to a target, health-checks it, rolls back when it is unhealthy. */
export function createDeploymentAgent(config: DeploymentConfig) {
  const targets: Record<DeployTargetKind, DeployTarget> = { local: new LocalTarget(config), docker: new DockerTarget(config) };
  return defineAgent({
    ...deploymentSpec,
    // Process groups a crashed predecessor on this host left running are stopped before the first task.
    onStart: ({ log }) => reapOrphans(config, log).then(() => undefined),
    async handler(raw): Promise<DeploymentOutput> {
      // Every artifact (step logs, service.log) is saved with the agent's secrets masked.
      const ctx = { ...raw, artifacts: redactingArtifacts(raw.artifacts, Object.values(config.secrets)) };
      const { input, runId, stage, attempt, signal, log, output } = ctx;
      // The live log (GET /v1/runs/:id/stages/:stage/logs) gets the build commands' output as it comes, secrets masked.
      for (const secret of Object.values(config.secrets)) output.redact(secret);
      await reapOrphans(config, log);
      return withWorkspace(config.workRoot, `${runId}-${stage}-a${attempt}`, { keepOnFailure: config.keepFailedWorkspaces, log }, async (ws) => {
        const git = await gitFor(config, input.repository, signal, ws.dir);
        const sha = await resolveTarget(git, input.repository, ws.dir);
        const secrets = Object.entries(input.secretEnv).map(([k, ref]) => [k, resolveSecret(ref, { kind: 'env', app: input.app }, config)]);
        output.write(`deploying ${input.app} ${sha.slice(0, 12)} to the ${input.target} target\n`);
        const appEnv = { NODE_ENV: 'production', ...input.env, ...Object.fromEntries(secrets) };
        const out = await targets[input.target].deploy({ ctx, sha, git, ws, appEnv });
        log.info({ target: out.target, release: out.releaseId, url: out.url, healthy: out.health.ok, rolledBack: out.rolledBack }, 'deployment finished');
        output.write(
          out.rolledBack
            ? `release ${out.releaseId.slice(0, 12)} was unhealthy (${out.health.reason ?? 'health check failed'}): rolled back to ${out.activeRelease?.slice(0, 12) ?? 'nothing'}\n`
            : `release ${out.releaseId.slice(0, 12)} is ${out.health.ok ? 'healthy' : 'unhealthy'} at ${out.url}\n`,
        );
        if (out.rolledBack && input.failOnRollback) throw new NonRetryableError('DEPLOY_ROLLED_BACK', out.rollbackReason ?? 'rolled back', out);
        if (!out.health.ok && !out.rolledBack) {
          throw new NonRetryableError('DEPLOY_UNHEALTHY', `release ${sha.slice(0, 12)} failed its health check and there is no previous release to roll back to: ${out.health.reason ?? ''}`, out);
        }
        return out;
      });
    },
  });
}
