import {
  buildProject,
  checkoutCommit,
  freePort,
  gitFor,
  installDependencies,
  ManagedProcess,
  prepareProject,
  readPackageJson,
  reapOrphans,
  StepAborted,
  stepContextFor,
  withWorkspace,
} from '@baton/agent-kit';
import { e2eSpec, type BrowserResult, type CheckResult, type E2eInput, type E2eOutput, type HttpCheck, type StepReport } from '@baton/contracts';
import { defineAgent, NonRetryableError, type TaskContext } from '@baton/runtime';
import { waitUntilReady } from './app-readiness.js';
import { browserCheck } from './browser-check.js';
import { reachableCheck, startCommandOf } from './start-command.js';
import { findChromium, type E2eConfig } from './env.js';
import { runHttpCheck } from './http-check.js';

interface Exercise {
  /** Where the app answered (null when it never did). */
  base: string | null;
  start: StepReport;
  checks: CheckResult[];
  browser: BrowserResult;
}

const NOT_RUN: BrowserResult = { status: 'skipped', reason: 'the app did not become ready', screenshot: null, durationMs: 0 };

/** Waits for the running app (on whichever port it answers), then runs the HTTP checks and the browser check against it. */
async function exercise(app: ManagedProcess, port: number, command: string, input: E2eInput, config: E2eConfig, ctx: TaskContext<E2eInput>): Promise<Exercise> {
  const { signal, progress, artifacts, log } = ctx;
  const readyPath = input.start.readyPath ?? null;
  const ready = await waitUntilReady(app, { assignedPort: port, configuredPort: input.start.port ?? null, readyPath, timeoutMs: input.start.readyTimeoutMs, signal });
  if (signal.aborted) throw new StepAborted('start');
  const start: StepReport = {
    name: 'start',
    command,
    status: ready.ok ? 'passed' : 'failed',
    exitCode: app.exit?.code ?? null,
    durationMs: ready.elapsedMs,
    ...(ready.ok ? {} : { reason: ready.reason ?? 'not ready' }),
    log: null,
  };
  if (!ready.ok || !ready.base) return { base: null, start, checks: [], browser: NOT_RUN };
  const base = ready.base;
  log.info({ base, portSource: ready.portSource }, 'app ready');
  progress({ percent: 60, message: `app ready on ${base}` });

  const checks: CheckResult[] = [];
  if (input.checks?.length || readyPath) {
    const declared: HttpCheck[] = input.checks?.length ? input.checks : [{ name: 'ready', method: 'GET', path: readyPath!, expectStatus: 200 }];
    for (const c of declared) checks.push(await runHttpCheck(base, c, input.checkTimeoutMs, signal));
  } else {
    checks.push(await reachableCheck(base, input.checkTimeoutMs, signal));
  }
  progress({ percent: 80, message: `${checks.filter((c) => c.status === 'passed').length}/${checks.length} HTTP checks passed` });

  const browser = await browserCheck({
    mode: input.browser.mode,
    executablePath: findChromium(config),
    searched: config.chromiumCandidates,
    url: `${base}${input.browser.path}`,
    expectText: input.browser.expectText,
    timeoutMs: input.browser.timeoutMs,
    signal,
    saveScreenshot: async (png) => {
      try {
        return (await artifacts.save('screenshot.png', png, 'image/png')).id;
      } catch (e: unknown) {
        log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not store the screenshot');
        return null;
      }
    },
  });
  if (browser.status === 'skipped') log.info({ reason: browser.reason }, 'browser check skipped');
  return { base, start, checks, browser };
}

/** The e2e agent: starts the app on a free port, checks it over HTTP and in a browser, always stops it. */
export function createE2eAgent(config: E2eConfig) {
  return defineAgent({
    ...e2eSpec,
    // Process groups a crashed predecessor on this host left running are stopped before the first task.
    onStart: ({ log }) => reapOrphans(config, log).then(() => undefined),
    async handler(ctx): Promise<E2eOutput> {
      const { input, runId, stage, attempt, signal, log, progress, artifacts } = ctx;
      await reapOrphans(config, log);
      return withWorkspace(config.workRoot, `${runId}-${stage}-a${attempt}`, { keepOnFailure: config.keepFailedWorkspaces, log }, async (ws) => {
        const git = await gitFor(config, input.repository, signal, ws.dir);
        const dir = ws.path('repo');
        const repository = await checkoutCommit(git, input.repository, dir);
        const pkg = await readPackageJson(dir);
        const sctx = await prepareProject(config, stepContextFor(config, dir, { signal, artifacts, log, output: ctx.output }), pkg, { timeoutMs: input.installTimeoutMs });
        progress({ percent: 10, message: `checked out ${repository.sha.slice(0, 12)}` });

        const install = await installDependencies(sctx, pkg, { mode: input.install, command: input.installCommand, timeoutMs: input.installTimeoutMs });
        const build = await buildProject(sctx, pkg, { command: input.build, timeoutMs: input.buildTimeoutMs });
        const command = input.start.command ?? (await startCommandOf(dir, pkg, sctx.project?.pm));
        if (!command) throw new NonRetryableError('NO_START_COMMAND', 'the project has no "start" script (nor a "main" file to run); set start.command');
        progress({ percent: 40, message: 'starting the app' });

        const port = await freePort();
        const app = ManagedProcess.start(command, {
          cwd: dir,
          env: { ...sctx.env, ...input.start.env, PORT: String(port), HOST: '127.0.0.1' },
          signal,
          maxOutputBytes: config.maxOutputBytes,
          killGraceMs: config.appStopGraceMs,
          redact: sctx.redact,
          registry: config.processes,
          ...(sctx.readDirs ? { readDirs: sctx.readDirs } : {}),
          ...(sctx.writeDirs ? { writeDirs: sctx.writeDirs } : {}),
          sandbox: sctx.sandbox,
        });
        log.info({ pid: app.pid, port, command }, 'app started');
        let result: Exercise;
        let appLog: string | null = null;
        try {
          result = await exercise(app, port, command, input, config, ctx);
        } finally {
          const gone = await app.stop();
          if (!gone) log.warn({ pid: app.pid }, 'some processes of the app survived SIGKILL');
          else log.info({ pid: app.pid }, 'app stopped');
          appLog = await artifacts
            .save('app.log', `$ ${command}  (PORT=${port})\n${app.output()}`)
            .then((m) => m.id)
            .catch(() => null);
        }
        result.start.log = appLog;
        const out: E2eOutput = {
          repository,
          passed: result.start.status === 'passed' && result.checks.every((c) => c.status === 'passed') && result.browser.status !== 'failed',
          baseUrl: result.base ?? `http://127.0.0.1:${port}`,
          steps: [install, build, result.start],
          checks: result.checks,
          browser: result.browser,
          appLog,
        };
        if (result.start.status !== 'passed') {
          const tail = app.output().trimEnd().split('\n').slice(-20).join('\n');
          throw new NonRetryableError('APP_NOT_READY', `${result.start.reason}\n--- the app's output (last lines) ---\n${tail || '(no output)'}`.slice(0, 4000), out);
        }
        if (!out.passed) {
          const failed = [...out.checks.filter((c) => c.status === 'failed').map((c) => `${c.name}: ${c.reason}`), ...(out.browser.status === 'failed' ? [`browser: ${out.browser.reason}`] : [])];
          throw new NonRetryableError('E2E_CHECKS_FAILED', `${failed.length} check${failed.length === 1 ? '' : 's'} failed: ${failed.join('; ')}`.slice(0, 4000), out);
        }
        return out;
      });
    },
  });
}
