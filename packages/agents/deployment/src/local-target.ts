import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { answersBelow500, StepAborted, waitForHttp } from '@baton/agent-kit';
import type { DeploymentOutput, HealthResult } from '@baton/contracts';
import { withAppLock } from './app-lock.js';
import { buildRelease } from './build-release.js';
import { healthOf, serviceName, type DeployRequest, type DeployTarget } from './deploy-target.js';
import type { DeploymentConfig } from './env.js';
import { Pm2Client, type Pm2App } from './pm2-client.js';
import { AppReleases, type ReleaseMarker } from './releases.js';
import { sandboxedApp } from './sandboxed-app.js';

async function tailOf(path: string, bytes: number): Promise<string> {
  try {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      const start = Math.max(0, size - bytes);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      return buf.toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}

/**
 * The local target: release directories on this host, a `current` link switched atomically, the
 * service run by PM2 under its own name, health-checked, rolled back to the previous release when
 * the new one is unhealthy, and old releases pruned.
 */
export class LocalTarget implements DeployTarget {
  constructor(private readonly config: DeploymentConfig) {}

  async deploy(req: DeployRequest): Promise<DeploymentOutput> {
    const { input, signal, log, progress, artifacts } = req.ctx;
    const releases = new AppReleases(join(this.config.releasesDir, input.app));
    await releases.init();
    return withAppLock(releases.root, signal, async () => {
      const { marker, steps } = await buildRelease(this.config, releases, req);
      progress({ percent: 50, message: `release ${req.sha.slice(0, 12)} built` });
      const port = await releases.port(input.port);
      const url = `http://${this.config.publicHost}:${port}`;
      const previous = await releases.current();
      const name = serviceName(input.app);

      const app = (m: ReleaseMarker): Pm2App => sandboxedApp(this.config.sandbox, plainApp(m), { appRoot: releases.root, readDirs: [this.config.cacheDir] });
      const plainApp = (m: ReleaseMarker): Pm2App => ({
        name,
        script: m.start.kind === 'node' ? join(releases.currentLink, m.start.script) : m.start.script,
        args: m.start.args,
        interpreter: m.start.kind === 'node' ? process.execPath : 'none',
        cwd: releases.currentLink,
        env: { ...this.config.childEnv, ...(m.path ? { PATH: m.path } : {}), ...req.appEnv, PORT: String(port), HOST: this.config.bindHost, BATON_RELEASE: m.sha },
        outFile: join(releases.logsDir, 'service.out.log'),
        errorFile: join(releases.logsDir, 'service.err.log'),
      });

      const pm2 = await Pm2Client.connect(this.config.pm2Home);
      try {
        const release = async (id: string, m: ReleaseMarker): Promise<HealthResult> => {
          await releases.switchTo(id);
          await pm2.replace(app(m));
          log.info({ release: id, name, port }, 'service (re)started under PM2');
          const r = await waitForHttp(`${url}${input.healthPath ?? '/'}`, {
            ...(input.healthPath === null ? { accept: answersBelow500 } : {}),
            timeoutMs: input.healthTimeoutMs,
            intervalMs: 250,
            signal,
            stopIf: async () => {
              const s = await pm2.status(name);
              if (!s) return 'the service is no longer in PM2';
              return s.status === 'errored' || s.status === 'stopped' ? `the service is ${s.status} after ${s.restarts} restarts` : null;
            },
          });
          return healthOf(r);
        };

        const health = await release(req.sha, marker);
        if (signal.aborted) {
          // Cancelled or timed out while the new release was being checked: put the previous one
          // back without waiting for its health (the stage has seconds left), then give up.
          const previousMarker = previous && previous !== req.sha ? await releases.marker(previous) : null;
          if (previous && previousMarker) {
            await releases.switchTo(previous);
            await pm2.replace(app(previousMarker));
            log.warn({ release: req.sha, previous }, 'deployment aborted during its health check; previous release restored');
          }
          throw new StepAborted('deployment');
        }
        progress({ percent: 85, message: health.ok ? 'healthy' : `unhealthy: ${health.reason ?? ''}` });
        const base = { target: 'local' as const, app: input.app, releaseId: req.sha, sha: req.sha, url, health, previousRelease: previous, steps };
        if (health.ok) {
          const kept = await releases.prune(input.keepReleases, [req.sha, previous]);
          return { ...base, rolledBack: false, rollbackReason: null, activeRelease: req.sha, releases: kept };
        }

        const serviceLog = `${await tailOf(app(marker).outFile, 32_768)}\n--- stderr ---\n${await tailOf(app(marker).errorFile, 32_768)}`;
        await artifacts.save('service.log', serviceLog).catch(() => null);
        const previousMarker = previous && previous !== req.sha ? await releases.marker(previous) : null;
        if (previous && previousMarker) {
          log.warn({ release: req.sha, previous, reason: health.reason }, 'new release unhealthy; rolling back');
          const back = await release(previous, previousMarker);
          const kept = await releases.prune(input.keepReleases, [req.sha, previous]);
          return {
            ...base,
            rolledBack: true,
            rollbackReason: `release ${req.sha.slice(0, 12)} failed its health check: ${health.reason ?? 'unhealthy'}${back.ok ? '' : `; the previous release is unhealthy too: ${back.reason ?? ''}`}`,
            activeRelease: back.ok ? previous : null,
            releases: kept,
          };
        }
        log.warn({ release: req.sha, reason: health.reason }, 'first release unhealthy; nothing to roll back to, service stopped');
        await pm2.remove(name);
        await releases.clearCurrent();
        const kept = await releases.prune(input.keepReleases, [req.sha]);
        return { ...base, rolledBack: false, rollbackReason: null, activeRelease: null, releases: kept };
      } finally {
        pm2.disconnect();
      }
    });
  }
}
