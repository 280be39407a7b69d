import { QualityGate } from '@baton/contracts';
import { describe, expect, it } from 'vitest';
import { evaluateGates, type Measurements, type StepOutcome } from '../src/index.js';

const gates = (...g: unknown[]) => g.map((x) => QualityGate.parse(x));
const passed: StepOutcome = { status: 'passed', exitCode: 0 };
const exited = (code: number): StepOutcome => ({ status: 'failed', exitCode: code, reason: `exited with code ${code}` });
const skipped: StepOutcome = { status: 'skipped', exitCode: null, reason: 'not configured' };
const measured = (m: Partial<Measurements>): Measurements => ({
  tests: null,
  typecheck: null,
  lint: null,
  coverage: null,
  steps: { typecheck: skipped, lint: skipped, test: passed },
  ...m,
});

describe('quality gates', () => {
  it('evaluates each gate against the measurements, with its severity', () => {
    const verdicts = evaluateGates(
      gates('tests.failed == 0', { check: 'coverage.lines >= 80', severity: 'warning' }, 'lint.warnings <= 5', 'tests.total > 0'),
      measured({
        tests: { passed: 3, failed: 1, skipped: 0, total: 4 },
        lint: { errors: 0, warnings: 2 },
        coverage: { lines: 79.5, branches: null, functions: null },
        steps: { typecheck: skipped, lint: passed, test: exited(1) },
      }),
    );
    expect(verdicts).toEqual([
      { check: 'tests.failed == 0', severity: 'blocking', status: 'failed', actual: 1, reason: 'tests.failed is 1' },
      { check: 'coverage.lines >= 80', severity: 'warning', status: 'failed', actual: 79.5, reason: 'coverage.lines is 79.5' },
      { check: 'lint.warnings <= 5', severity: 'blocking', status: 'passed', actual: 2 },
      { check: 'tests.total > 0', severity: 'blocking', status: 'passed', actual: 4 },
    ]);
  });

  it('passes a gate whose metric a green step did not report, with actual null and a warning', () => {
    const [v] = evaluateGates(gates('tests.failed == 0'), measured({}));
    expect(v).toEqual({
      check: 'tests.failed == 0',
      severity: 'blocking',
      status: 'passed',
      actual: null,
      warning: 'tests.failed was not reported by the test step (it exited 0), so the gate was not evaluated',
    });
  });

  it('fails a gate whose step failed before reporting, saying so; skips one whose step is not configured', () => {
    const verdicts = evaluateGates(gates('tests.failed == 0', 'coverage.lines >= 80', 'typecheck.errors == 0'), measured({ steps: { typecheck: skipped, lint: skipped, test: exited(2) } }));
    expect(verdicts.map((v) => [v.check, v.status, v.reason])).toEqual([
      ['tests.failed == 0', 'failed', 'test step failed with exit code 2 before reporting results'],
      ['coverage.lines >= 80', 'failed', 'test step failed with exit code 2 before reporting results'],
      ['typecheck.errors == 0', 'skipped', 'the project has no typecheck step'],
    ]);
    const timedOut = evaluateGates(gates('tests.failed == 0'), measured({ steps: { typecheck: skipped, lint: skipped, test: { status: 'timed-out', exitCode: null, reason: 'timed out after 1000 ms (process tree killed)' } } }));
    expect(timedOut[0]!.reason).toBe('test step timed out after 1000 ms (process tree killed) before reporting results');
  });

  it('trusts the exit code over counts that do not explain it, and counts that do', () => {
    // exit 1 with 0 failed tests (a coverage threshold, a crash after the summary): the gate fails.
    const unexplained = evaluateGates(gates('tests.failed == 0'), measured({ tests: { passed: 4, failed: 0, skipped: 0, total: 4 }, steps: { typecheck: skipped, lint: skipped, test: exited(1) } }));
    expect(unexplained[0]).toMatchObject({ status: 'failed', actual: 0, reason: 'tests.failed is 0, but the test step failed with exit code 1' });
    // exit 1 with 1 failed test, and a gate that tolerates it: the counts explain the exit.
    const tolerated = evaluateGates(gates('tests.failed <= 2'), measured({ tests: { passed: 3, failed: 1, skipped: 0, total: 4 }, steps: { typecheck: skipped, lint: skipped, test: exited(1) } }));
    expect(tolerated[0]).toMatchObject({ status: 'passed', actual: 1 });
    // tsc exit 2 with errors counted; exit 1 of a linter without a recognisable summary.
    const tsc = evaluateGates(gates('typecheck.errors == 0', 'lint.errors == 0'), measured({ typecheck: { errors: 3 }, steps: { typecheck: exited(2), lint: exited(1), test: passed } }));
    expect(tsc.map((v) => [v.status, v.reason])).toEqual([
      ['failed', 'typecheck.errors is 3'],
      ['failed', 'lint step failed with exit code 1 before reporting results'],
    ]);
  });

  it('rejects malformed gates in the stage input', () => {
    expect(QualityGate.safeParse('tests.failed = 0').success).toBe(false);
    expect(QualityGate.safeParse('speed.ms < 10').success).toBe(false);
    expect(QualityGate.safeParse({ check: 'tests.failed == 0', severity: 'fatal' }).success).toBe(false);
  });
});
