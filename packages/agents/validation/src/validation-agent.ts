import { mkdir } from 'node:fs/promises';
import {
  checkoutCommit,
  gitFor,
  installDependencies,
  outputTail,
  prepareProject,
  projectScript,
  type PackageJson,
  readPackageJson,
  reapOrphans,
  runStep,
  type StepContext,
  stepContextFor,
  type StepRun,
  withWorkspace,
} from '@baton/agent-kit';
import { validationSpec, type ValidationInput, type ValidationOutput } from '@baton/contracts';
import { defineAgent, NonRetryableError } from '@baton/runtime';
import type { ValidationConfig } from './env.js';
import { evaluateGates, type CheckStep, type StepOutcome } from './gates.js';
import { measure } from './measure.js';
import { testCommand } from './test-command.js';

/** The command of a typecheck or lint step: configured (null = skip), else the package.json script of that name. */
function checkCommand(input: ValidationInput, pkg: PackageJson | null, sctx: StepContext, name: 'typecheck' | 'lint'): { command: string | null; reason: string } {
  const configured = input.commands[name];
  if (configured !== undefined) return { command: configured, reason: `commands.${name} is null` };
  return { command: projectScript(pkg, name, sctx.project?.pm), reason: pkg ? `package.json has no "${name}" script` : 'no package.json' };
}

const outcome = (s: StepRun): StepOutcome => ({ status: s.report.status, exitCode: s.report.exitCode, reason: s.report.reason });

/** The stage's error: the failed blocking gates, the first failed tests, and the end of a step that failed before reporting. */
function failureSummary(out: ValidationOutput, runs: Record<CheckStep, StepRun>): string {
  const failed = out.gates.filter((g) => g.severity === 'blocking' && g.status === 'failed');
  const list = failed.map((g) => `${g.check} (${g.reason ?? 'failed'})`).join('; ');
  const parts = [`${failed.length} blocking quality gate${failed.length === 1 ? '' : 's'} failed: ${list}`];
  const names = (out.tests?.failures ?? []).slice(0, 5).map((f) => `  ✗ ${f.name}${f.message ? `: ${f.message.split('\n')[0]}` : ''}`);
  if (names.length) parts.push(`failed tests:\n${names.join('\n')}`);
  for (const step of ['typecheck', 'lint', 'test'] as const) {
    if (failed.some((g) => g.reason?.includes(`${step} step`))) parts.push(`last lines of the ${step} step:\n${outputTail(runs[step], 15)}`);
  }
  return parts.join('\n').slice(0, 8000);
}

/** The validation agent: install, typecheck, lint, test; counts; quality gates. */
export function createValidationAgent(config: ValidationConfig) {
  return defineAgent({
    ...validationSpec,
    // Process groups a crashed predecessor on this host left running are stopped before the first task.
    onStart: ({ log }) => reapOrphans(config, log).then(() => undefined),
    async handler({ input, runId, stage, attempt, signal, log, progress, artifacts, output }): Promise<ValidationOutput> {
      await reapOrphans(config, log);
      return withWorkspace(config.workRoot, `${runId}-${stage}-a${attempt}`, { keepOnFailure: config.keepFailedWorkspaces, log }, async (ws) => {
        const git = await gitFor(config, input.repository, signal, ws.dir);
        const dir = ws.path('repo');
        const reports = ws.path('reports');
        await mkdir(reports, { recursive: true });
        const repository = await checkoutCommit(git, input.repository, dir);
        progress({ percent: 10, message: `checked out ${repository.sha.slice(0, 12)}` });

        const pkg = await readPackageJson(dir);
        const sctx = await prepareProject(config, stepContextFor(config, dir, { signal, artifacts, log, output }, input.env), pkg, { timeoutMs: input.installTimeoutMs });
        const install = await installDependencies(sctx, pkg, { mode: input.install, command: input.installCommand, timeoutMs: input.installTimeoutMs });
        progress({ percent: 35, message: 'dependencies installed' });

        const tc = checkCommand(input, pkg, sctx, 'typecheck');
        const typecheck = await runStep(sctx, 'typecheck', tc.command, input.commandTimeoutMs, tc.reason);
        progress({ percent: 50, message: `typecheck ${typecheck.report.status}` });
        const lc = checkCommand(input, pkg, sctx, 'lint');
        const lint = await runStep(sctx, 'lint', lc.command, input.commandTimeoutMs, lc.reason);
        progress({ percent: 65, message: `lint ${lint.report.status}` });
        const t = testCommand(input.commands.test, pkg, sctx.project?.pm, reports);
        const testStartedAt = Date.now();
        // The test step writes machine-readable reports (jest --json) outside the repository: that dir is writable in the sandbox too.
        const testCtx = { ...sctx, writeDirs: [...(sctx.writeDirs ?? []), reports] };
        const test = await runStep(testCtx, 'test', t.command, input.commandTimeoutMs, t.reason);
        progress({ percent: 90, message: `tests ${test.report.status}` });

        const runs = { typecheck, lint, test };
        const measured = await measure(dir, runs, { junit: input.junit, jestJson: t.jestJson, testStartedAt });
        const gates = evaluateGates(input.gates, { ...measured, steps: { typecheck: outcome(typecheck), lint: outcome(lint), test: outcome(test) } });
        const warnings = [...(install.warnings ?? []), ...gates.flatMap((g) => (g.warning ? [`${g.check}: ${g.warning}`] : []))];

        const out: ValidationOutput = {
          repository,
          passed: !gates.some((g) => g.severity === 'blocking' && g.status === 'failed'),
          steps: [install, typecheck.report, lint.report, test.report],
          ...measured,
          gates,
          report: null,
          packageManager: sctx.project?.description ?? null,
          warnings,
        };
        try {
          out.report = (await artifacts.save('validation-report.json', `${JSON.stringify(out, null, 2)}\n`, 'application/json')).id;
        } catch (e: unknown) {
          log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not store the validation report');
        }
        log.info({ passed: out.passed, tests: out.tests, typecheck: out.typecheck, lint: out.lint, coverage: out.coverage, warnings: warnings.length }, 'validation finished');
        if (!out.passed) throw new NonRetryableError('QUALITY_GATE_FAILED', failureSummary(out, runs), out);
        return out;
      });
    },
  });
}
