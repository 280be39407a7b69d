import { parseGateCheck, type Coverage, type GateMetric, type GateVerdict, type QualityGate, type StepStatus, type TestCounts } from '@baton/contracts';

export type CheckStep = 'typecheck' | 'lint' | 'test';

/** How a check step ended. */
export interface StepOutcome {
  status: StepStatus;
  exitCode: number | null;
  /** How it failed (`exited with code 2`, `timed out after …`). */
  reason?: string | undefined;
}

/** What the steps measured; a metric is null when its step did not report it. */
export interface Measurements {
  tests: TestCounts | null;
  typecheck: { errors: number } | null;
  lint: { errors: number; warnings: number } | null;
  coverage: Coverage | null;
  steps: Readonly<Record<CheckStep, StepOutcome>>;
}

function metricValue(m: Measurements, metric: GateMetric): number | null {
  const [group, field] = metric.split('.') as [string, string];
  const source = (group === 'tests' ? m.tests : group === 'typecheck' ? m.typecheck : group === 'lint' ? m.lint : m.coverage) as Record<string, unknown> | null;
  const v = source?.[field];
  return typeof v === 'number' ? v : null;
}

function stepOf(metric: GateMetric): CheckStep {
  if (metric.startsWith('typecheck.')) return 'typecheck';
  if (metric.startsWith('lint.')) return 'lint';
  return 'test';
}

function compare(actual: number, op: string, value: number): boolean {
  switch (op) {
    case '==':
      return actual === value;
    case '!=':
      return actual !== value;
    case '>=':
      return actual >= value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    default:
      return actual < value;
  }
}

/** Whether the step's own counts account for its non-zero exit (failed tests, type or lint errors). */
function explained(m: Measurements, step: CheckStep): boolean {
  if (step === 'test') return (m.tests?.failed ?? 0) > 0;
  if (step === 'typecheck') return (m.typecheck?.errors ?? 0) > 0;
  return (m.lint?.errors ?? 0) > 0;
}

/** `test step failed with exit code 2` / `test step timed out after 300000 ms (process tree killed)`. */
export function stepFailure(step: CheckStep, o: StepOutcome): string {
  if (o.status === 'timed-out') return `${step} step ${o.reason ?? 'timed out'}`;
  return o.exitCode !== null ? `${step} step failed with exit code ${o.exitCode}` : `${step} step failed (${o.reason ?? 'no exit code'})`;
}

/**
 * Evaluates each gate; the step's exit code is the primary truth:
 * - the step is not configured → `skipped`;
 * - the step exited 0 and reported the metric → compared; it did not report it → `passed` with
 *   `actual: null` and a warning (a gate that cannot be evaluated never turns a green project red);
 * - the step failed (exit ≠ 0, timeout) → a reported metric is compared, but a comparison that passes
 *   fails anyway unless the step's own counts explain its exit (failed tests, errors); an unreported
 *   metric fails the gate with "test step failed with exit code 2 before reporting results".
 */
export function evaluateGates(gates: readonly QualityGate[], m: Measurements): GateVerdict[] {
  return gates.map((g): GateVerdict => {
    const parsed = parseGateCheck(g.check)!; // the input schema only admits parseable checks
    const step = stepOf(parsed.metric);
    const outcome = m.steps[step];
    const actual = metricValue(m, parsed.metric);
    const base = { check: g.check, severity: g.severity, actual };
    if (outcome.status === 'skipped') return { ...base, status: 'skipped', reason: `the project has no ${step} step` };
    const stepFailed = outcome.status !== 'passed';
    if (actual === null) {
      if (stepFailed) return { ...base, status: 'failed', reason: `${stepFailure(step, outcome)} before reporting results` };
      return { ...base, status: 'passed', warning: `${parsed.metric} was not reported by the ${step} step (it exited 0), so the gate was not evaluated` };
    }
    if (!compare(actual, parsed.op, parsed.value)) return { ...base, status: 'failed', reason: `${parsed.metric} is ${actual}` };
    if (stepFailed && !explained(m, step)) return { ...base, status: 'failed', reason: `${parsed.metric} is ${actual}, but the ${stepFailure(step, outcome)}` };
    return { ...base, status: 'passed' };
  });
}
