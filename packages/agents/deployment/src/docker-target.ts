import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { answersBelow500, checkoutCommit, describeOutcome, outputTail, runCommand, runStep, stepContextFor, waitForHttp } from '@baton/agent-kit';
import type { DeploymentOutput, HealthResult } from '@baton/contracts';
import { NonRetryableError, StageFailure } from '@baton/runtime';
import { healthOf, serviceName, type DeployRequest, type DeployTarget } from './deploy-target.js';
import type { DeploymentConfig } from './env.js';
import { AppReleases } from './releases.js';

/**
 * The docker target: builds an image from the commit's Dockerfile and runs it as one container per
 * app, health-checks it and falls back to the previous image when it is unhealthy. Without a
 * reachable Docker engine it fails at once (DOCKER_UNAVAILABLE, not retryable).
 */
export class DockerTarget implements DeployTarget {
  constructor(private readonly config: DeploymentConfig) {}

  private docker(args: string[], req: DeployRequest, env: Record<string, string> = {}, timeoutMs = 60_000) {
    return runCommand(this.config.dockerBin, args, {
      cwd: req.ws.dir,
      env: { ...this.config.childEnv, ...this.config.dockerEnv, ...env },
      timeoutMs,
      signal: req.ctx.signal,
      redact: Object.values(this.config.secrets),
    });
  }

  async deploy(req: DeployRequest): Promise<DeploymentOutput> {
    const { input, signal, artifacts, log, progress, output } = req.ctx;
    const probe = await this.docker(['version', '--format', '{{.Server.Version}}'], req, {}, 15_000);
    if (!probe.ok) {
      const why = probe.output.trim().split('\n').slice(-3).join(' ').slice(0, 500);
      throw new NonRetryableError('DOCKER_UNAVAILABLE', `the docker target needs a reachable Docker engine, but \`${this.config.dockerBin} version\` ${describeOutcome(probe, 15_000)}: ${why}`);
    }
    const src = req.ws.path('src');
    await checkoutCommit(req.git, { ...input.repository, sha: req.sha }, src);
    if (!existsSync(join(src, 'Dockerfile'))) throw new NonRetryableError('NO_DOCKERFILE', 'the docker target needs a Dockerfile at the repository root');

    const image = `baton/${input.app}:${req.sha.slice(0, 12)}`;
    // `docker build` is the agent's own tool talking to the daemon (the project's Dockerfile runs in the
    // daemon's containers), so it runs outside the sandbox, which would hide the daemon's socket.
    const sctx = { ...stepContextFor(this.config, src, { signal, artifacts, log, output }), env: { ...this.config.childEnv, ...this.config.dockerEnv }, sandbox: { kind: 'off' as const } };
    const build = await runStep(sctx, 'docker-build', `${this.config.dockerBin} build --pull=false -t ${image} .`, input.buildTimeoutMs);
    if (build.report.status !== 'passed') throw new NonRetryableError('BUILD_FAILED', `docker build ${build.report.reason}:\n${outputTail(build, 15)}`, { step: build.report });
    progress({ percent: 50, message: `image ${image} built` });

    const releases = new AppReleases(join(this.config.releasesDir, input.app));
    await releases.init();
    const port = await releases.port(input.port);
    const url = `http://${this.config.publicHost}:${port}`;
    const name = serviceName(input.app);
    const inspect = await this.docker(['inspect', '--format', '{{.Config.Image}}', name], req);
    const previousImage = inspect.ok ? inspect.stdout.trim() || null : null;

    const run = async (img: string, sha: string): Promise<HealthResult> => {
      await this.docker(['rm', '-f', name], req);
      // Values travel in the docker CLI's environment (`-e NAME`), never on its command line.
      const env: Record<string, string> = { ...req.appEnv, PORT: String(port), HOST: '0.0.0.0', BATON_RELEASE: sha };
      const names = Object.keys(env);
      const started = await this.docker(
        ['run', '-d', '--name', name, '--restart', 'unless-stopped', '-p', `${this.config.bindHost}:${port}:${port}`, ...names.flatMap((k) => ['-e', k]), img],
        req,
        Object.fromEntries(names.map((k) => [k, env[k]!])),
      );
      if (!started.ok) throw new StageFailure('DOCKER_RUN_FAILED', `docker run ${describeOutcome(started, 60_000)}: ${started.output.trim().slice(-1000)}`, { retryable: true });
      return healthOf(await waitForHttp(`${url}${input.healthPath ?? '/'}`, { timeoutMs: input.healthTimeoutMs, intervalMs: 250, signal, ...(input.healthPath === null ? { accept: answersBelow500 } : {}) }));
    };

    const health = await run(image, req.sha);
    const previousRelease = previousImage?.split(':').pop() ?? null;
    const base = { target: 'docker' as const, app: input.app, releaseId: req.sha, sha: req.sha, url, health, previousRelease, steps: [build.report], releases: [image] };
    if (health.ok) return { ...base, rolledBack: false, rollbackReason: null, activeRelease: req.sha };
    if (previousImage && previousImage !== image) {
      log.warn({ image, previousImage, reason: health.reason }, 'new container unhealthy; rolling back');
      const back = await run(previousImage, previousRelease ?? 'previous');
      return {
        ...base,
        rolledBack: true,
        rollbackReason: `image ${image} failed its health check: ${health.reason ?? 'unhealthy'}${back.ok ? '' : `; the previous image is unhealthy too`}`,
        activeRelease: back.ok ? previousRelease : null,
      };
    }
    await this.docker(['rm', '-f', name], req);
    return { ...base, rolledBack: false, rollbackReason: null, activeRelease: null };
  }
}
