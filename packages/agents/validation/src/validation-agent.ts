import {
  checkoutCommit,
  gitFor,
  installDependencies,
  npmScript,
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
import { evaluateGates } from './gates.js';
import { parseCoverage } from './parsers/coverage.js';
import { parseLintCounts } from './parsers/lint.js';
import { parseTestCounts } from './parsers/test-results.js';
import { parseTypeErrors } from './parsers/typecheck.js';

type CheckStep = 'typecheck' | 'lint' | 'test';

/** The command of a step: configured (null = skip), else the package.json script of that name. */
function stepCommand(input: ValidationInput, pkg: PackageJson | null, name: CheckStep): { command: string | null; reason: string } {
  const configured = input.commands[name];
  if (configured !== undefined) return { command: configured, reason: `commands.${name} is null` };
  return { command: npmScript(pkg, name), reason: pkg ? `package.json has no "${name}" script` : 'no package.json' };
}

async function runCheck(sctx: StepContext, input: ValidationInput, pkg: PackageJson | null, name: CheckStep): Promise<StepRun> {
  const { command, reason } = stepCommand(input, pkg, name);
  return runStep(sctx, name, command, input.commandTimeoutMs, reason);
}

function failureSummary(out: ValidationOutput): string {
  const failed = out.gates.filter((g) => g.severity === 'blocking' && g.status === 'failed');
  const list = failed.map((g) => `${g.check} (${g.reason ?? 'failed'})`).join('; ');
  return `${failed.length} blocking quality gate${failed.length === 1 ? '' : 's'} failed: ${list}`;
}

/** The validation agent: install, typecheck, lint, test; counts; quality gates. */
export function createValidationAgent(config: ValidationConfig) {
  return defineAgent({
    ...validationSpec,
    // Process groups a crashed predecessor on this host left running are stopped before the first task.
    onStart: ({ log }) => reapOrphans(config, log).then(() => undefined),
    async handler({ input, runId, stage, attempt, signal, log, progress, artifacts }): Promise<ValidationOutput> {
      await reapOrphans(config, log);
      return withWorkspace(config.workRoot, `${runId}-${stage}-a${attempt}`, { keepOnFailure: config.keepFailedWorkspaces, log }, async (ws) => {
        const git = await gitFor(config, input.repository, signal, ws.dir);
        const dir = ws.path('repo');
        const repository = await checkoutCommit(git, input.repository, dir);
        progress({ percent: 10, message: `checked out ${repository.sha.slice(0, 12)}` });

        const pkg = await readPackageJson(dir);
        const sctx = stepContextFor(config, dir, { signal, artifacts, log }, input.env);
        const install = await installDependencies(sctx, pkg, { mode: input.install, command: input.installCommand, timeoutMs: input.installTimeoutMs });
        progress({ percent: 35, message: 'dependencies installed' });

        const typecheck = await runCheck(sctx, input, pkg, 'typecheck');
        progress({ percent: 50, message: `typecheck ${typecheck.report.status}` });
        const lint = await runCheck(sctx, input, pkg, 'lint');
        progress({ percent: 65, message: `lint ${lint.report.status}` });
        const test = await runCheck(sctx, input, pkg, 'test');
        progress({ percent: 90, message: `tests ${test.report.status}` });

        const ranOk = (s: StepRun) => s.result?.ok ?? false;
        const errors = typecheck.result ? parseTypeErrors(typecheck.result.output, ranOk(typecheck)) : null;
        const tests = test.result && !test.result.timedOut ? parseTestCounts(test.result.output) : null;
        const measured = {
          tests,
          typecheck: errors === null ? null : { errors },
          lint: lint.result ? parseLintCounts(lint.result.output, ranOk(lint)) : null,
          coverage: test.result ? parseCoverage(test.result.output) : null,
        };
        const skippedSteps = new Set((['typecheck', 'lint', 'test'] as const).filter((n, i) => [typecheck, lint, test][i]!.report.status === 'skipped'));
        const gates = evaluateGates(input.gates, { ...measured, skippedSteps });

        const out: ValidationOutput = {
          repository,
          passed: !gates.some((g) => g.severity === 'blocking' && g.status === 'failed'),
          steps: [install, ...[typecheck, lint, test].map((s) => s.report)],
          ...measured,
          gates,
          report: null,
        };
        try {
          out.report = (await artifacts.save('validation-report.json', `${JSON.stringify(out, null, 2)}\n`, 'application/json')).id;
        } catch (e: unknown) {
          log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not store the validation report');
        }
        log.info({ passed: out.passed, tests: out.tests, typecheck: out.typecheck, lint: out.lint, coverage: out.coverage }, 'validation finished');
        if (!out.passed) throw new NonRetryableError('QUALITY_GATE_FAILED', failureSummary(out), out);
        return out;
      });
    },
  });
}
