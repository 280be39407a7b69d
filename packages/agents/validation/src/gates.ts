import { parseGateCheck, type Coverage, type GateMetric, type GateVerdict, type QualityGate, type TestCounts } from '@baton/contracts';

/** What the steps measured; a metric is null when its step ran but did not report it. */
export interface Measurements {
  tests: TestCounts | null;
  typecheck: { errors: number } | null;
  lint: { errors: number; warnings: number } | null;
  coverage: Coverage | null;
  /** Steps that did not run (not configured): gates on their metrics are not evaluated. */
  skippedSteps: ReadonlySet<'typecheck' | 'lint' | 'test'>;
}

function metricValue(m: Measurements, metric: GateMetric): number | null {
  switch (metric) {
    case 'tests.passed':
      return m.tests?.passed ?? null;
    case 'tests.failed':
      return m.tests?.failed ?? null;
    case 'tests.skipped':
      return m.tests?.skipped ?? null;
    case 'tests.total':
      return m.tests?.total ?? null;
    case 'typecheck.errors':
      return m.typecheck?.errors ?? null;
    case 'lint.errors':
      return m.lint?.errors ?? null;
    case 'lint.warnings':
      return m.lint?.warnings ?? null;
    case 'coverage.lines':
      return m.coverage?.lines ?? null;
    case 'coverage.branches':
      return m.coverage?.branches ?? null;
    case 'coverage.functions':
      return m.coverage?.functions ?? null;
  }
}

function stepOf(metric: GateMetric): 'typecheck' | 'lint' | 'test' {
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

/**
 * Evaluates each gate. A metric the project did not report fails its gate (a broken test run must
 * not pass as "0 failed"), except when its step was not configured at all: then the gate is
 * skipped, so the default gates suit projects without, say, a linter.
 */
export function evaluateGates(gates: readonly QualityGate[], m: Measurements): GateVerdict[] {
  return gates.map((g) => {
    const parsed = parseGateCheck(g.check)!; // the input schema only admits parseable checks
    const step = stepOf(parsed.metric);
    const actual = metricValue(m, parsed.metric);
    if (actual === null) {
      if (m.skippedSteps.has(step)) return { check: g.check, severity: g.severity, status: 'skipped', actual: null, reason: `the project has no ${step} step` };
      return { check: g.check, severity: g.severity, status: 'failed', actual: null, reason: `${parsed.metric} was not reported by the ${step} step` };
    }
    const ok = compare(actual, parsed.op, parsed.value);
    return { check: g.check, severity: g.severity, status: ok ? 'passed' : 'failed', actual, ...(ok ? {} : { reason: `${parsed.metric} is ${actual}` }) };
  });
}
