import {
  buildProject,
  checkoutCommit,
  type ExitInfo,
  freePort,
  gitFor,
  installDependencies,
  ManagedProcess,
  readPackageJson,
  reapOrphans,
  StepAborted,
  stepContextFor,
  waitForHttp,
  withWorkspace,
} from '@baton/agent-kit';
import { e2eSpec, type BrowserResult, type CheckResult, type E2eInput, type E2eOutput, type HttpCheck, type StepReport } from '@baton/contracts';
import { defineAgent, NonRetryableError, type TaskContext } from '@baton/runtime';
import { browserCheck } from './browser-check.js';
import { findChromium, type E2eConfig } from './env.js';
import { runHttpCheck } from './http-check.js';

function exitText(e: ExitInfo): string {
  return e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
}

interface Exercise {
  start: StepReport;
  checks: CheckResult[];
  browser: BrowserResult;
}

const NOT_RUN: BrowserResult = { status: 'skipped', reason: 'the app did not become ready', screenshot: null, durationMs: 0 };

/** Waits for the running app, then runs the HTTP checks and the browser check against it. */
async function exercise(app: ManagedProcess, base: string, command: string, input: E2eInput, config: E2eConfig, ctx: TaskContext<E2eInput>): Promise<Exercise> {
  const { signal, progress, artifacts, log } = ctx;
  const ready = await waitForHttp(`${base}${input.start.readyPath}`, {
    timeoutMs: input.start.readyTimeoutMs,
    signal,
    stopIf: () => (app.exit ? `the app exited (${exitText(app.exit)}) before it answered on ${input.start.readyPath}` : null),
  });
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
  if (!ready.ok) return { start, checks: [], browser: NOT_RUN };
  progress({ percent: 60, message: `app ready on ${base}` });

  const declared: HttpCheck[] = input.checks?.length ? input.checks : [{ name: 'ready', method: 'GET', path: input.start.readyPath, expectStatus: 200 }];
  const checks: CheckResult[] = [];
  for (const c of declared) checks.push(await runHttpCheck(base, c, input.checkTimeoutMs, signal));
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
  return { start, checks, browser };
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
        const sctx = stepContextFor(config, dir, { signal, artifacts, log });
        progress({ percent: 10, message: `checked out ${repository.sha.slice(0, 12)}` });

        const install = await installDependencies(sctx, pkg, { mode: input.install, command: input.installCommand, timeoutMs: input.installTimeoutMs });
        const build = await buildProject(sctx, pkg, { command: input.build, timeoutMs: input.buildTimeoutMs });
        const command = input.start.command ?? (pkg?.scripts?.start ? 'npm start' : null);
        if (!command) throw new NonRetryableError('NO_START_COMMAND', 'the project has no "start" script; set start.command');
        progress({ percent: 40, message: 'starting the app' });

        const port = await freePort();
        const base = `http://127.0.0.1:${port}`;
        const app = ManagedProcess.start(command, {
          cwd: dir,
          env: { ...sctx.env, ...input.start.env, PORT: String(port), HOST: '127.0.0.1' },
          signal,
          maxOutputBytes: config.maxOutputBytes,
          killGraceMs: config.appStopGraceMs,
          redact: sctx.redact,
          registry: config.processes,
        });
        log.info({ pid: app.pid, port, command }, 'app started');
        let result: Exercise;
        let appLog: string | null = null;
        try {
          result = await exercise(app, base, command, input, config, ctx);
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
          baseUrl: base,
          steps: [install, build, result.start],
          checks: result.checks,
          browser: result.browser,
          appLog,
        };
        if (result.start.status !== 'passed') {
          throw new NonRetryableError('APP_NOT_READY', `${result.start.reason}\n${app.output().trimEnd().split('\n').slice(-15).join('\n')}`.slice(0, 4000), out);
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
