import { z } from 'zod';
import { agentSpec } from './spec.js';
import { CommandLine, InstallMode, PlainEnv, RepoRef, RepoTarget, StepReport } from './repository.js';

/** Metrics a quality gate can test. */
export const GATE_METRICS = [
  'tests.passed',
  'tests.failed',
  'tests.skipped',
  'tests.total',
  'typecheck.errors',
  'lint.errors',
  'lint.warnings',
  'coverage.lines',
  'coverage.branches',
  'coverage.functions',
] as const;
export const GateMetric = z.enum(GATE_METRICS);
export type GateMetric = z.infer<typeof GateMetric>;

export const GATE_OPERATORS = ['==', '!=', '>=', '<=', '>', '<'] as const;
export type GateOperator = (typeof GATE_OPERATORS)[number];

const CHECK = /^\s*([a-z]+\.[a-z]+)\s*(==|!=|>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** Parses `tests.failed == 0`; null when malformed or the metric is unknown. */
export function parseGateCheck(check: string): { metric: GateMetric; op: GateOperator; value: number } | null {
  const m = CHECK.exec(check);
  if (!m) return null;
  const metric = GateMetric.safeParse(m[1]);
  if (!metric.success) return null;
  return { metric: metric.data, op: m[2] as GateOperator, value: Number(m[3]) };
}

export const GateSeverity = z.enum(['blocking', 'warning']);
export type GateSeverity = z.infer<typeof GateSeverity>;

const GateCheck = z.string().max(200).refine((c) => parseGateCheck(c) !== null, {
  message: `"<metric> <op> <number>" with a metric among ${GATE_METRICS.join(', ')} and an operator among ${GATE_OPERATORS.join(' ')}`,
});

/** A quality gate: `"tests.failed == 0"` (blocking) or `{ check, severity }`. */
export const QualityGate = z.union([
  GateCheck.transform((check) => ({ check, severity: 'blocking' as GateSeverity })),
  z.object({ check: GateCheck, severity: GateSeverity.default('blocking') }).strict(),
]);
export type QualityGate = z.infer<typeof QualityGate>;

export const DEFAULT_GATES: readonly string[] = ['typecheck.errors == 0', 'lint.errors == 0', 'tests.failed == 0'];

/** One command of the project: absent = the package.json script of that name, null = skip. */
const StepCommand = CommandLine.nullable().optional();

export const ValidationInput = z
  .object({
    repository: RepoTarget,
    install: InstallMode.default('auto'),
    /** Replaces the detected install command (`npm ci` with a lockfile, else `npm install`). */
    installCommand: CommandLine.nullable().optional(),
    commands: z
      .object({ typecheck: StepCommand, lint: StepCommand, test: StepCommand })
      .strict()
      .default({}),
    gates: z.array(QualityGate).max(50).prefault([...DEFAULT_GATES]),
    installTimeoutMs: z.int().min(1000).max(3_600_000).default(300_000),
    commandTimeoutMs: z.int().min(1000).max(3_600_000).default(300_000),
    env: PlainEnv.default({}),
    /** JUnit XML files the test step writes (globs relative to the checkout); absent: the usual places (see docs). */
    junit: z.array(z.string().min(1).max(500)).max(20).optional(),
  })
  .strict();
export type ValidationInput = z.infer<typeof ValidationInput>;

/** A failed test: its full name and the first lines of its error. */
export const TestFailure = z.object({ name: z.string().max(500), message: z.string().max(2000) });
export type TestFailure = z.infer<typeof TestFailure>;

export const TestCounts = z.object({
  passed: z.int(),
  failed: z.int(),
  skipped: z.int(),
  total: z.int(),
  /** The first failures (at most 10), when the runner's output names them. */
  failures: z.array(TestFailure).max(10).optional(),
  /** Which output the counts were read from (e.g. "jest json", "mocha", "tap", "junit"). */
  source: z.string().max(100).optional(),
});
export type TestCounts = z.infer<typeof TestCounts>;

/** Percentages, each null when the report did not include it. */
export const Coverage = z.object({
  lines: z.number().nullable(),
  branches: z.number().nullable(),
  functions: z.number().nullable(),
  /** Which report the figures were read from (e.g. "text table", "coverage-summary.json", "lcov"). */
  source: z.string().max(100).optional(),
});
export type Coverage = z.infer<typeof Coverage>;

export const GateVerdict = z.object({
  check: z.string(),
  severity: GateSeverity,
  /** skipped: the step that measures the metric is not configured for this project (e.g. no lint script). */
  status: z.enum(['passed', 'failed', 'skipped']),
  /**
   * The metric's value; null when the project did not report it. An unreported metric passes its gate
   * (with a warning) when its step exited 0, and fails it when the step failed.
   */
  actual: z.number().nullable(),
  reason: z.string().optional(),
  /** Set when the gate passed without being evaluated (the metric was not reported). */
  warning: z.string().optional(),
});
export type GateVerdict = z.infer<typeof GateVerdict>;

export const ValidationOutput = z.object({
  repository: RepoRef,
  /** True when every blocking gate passed (the stage fails otherwise, with this report in error.details). */
  passed: z.boolean(),
  steps: z.array(StepReport),
  tests: TestCounts.nullable(),
  typecheck: z.object({ errors: z.int() }).nullable(),
  lint: z.object({ errors: z.int(), warnings: z.int() }).nullable(),
  coverage: Coverage.nullable(),
  gates: z.array(GateVerdict),
  /** Artifact id of the JSON report. */
  report: z.string().nullable(),
  /** The package manager the commands ran with, e.g. `pnpm@9.15.9 (packageManager)`. */
  packageManager: z.string().max(200).nullable().optional(),
  /** Everything the agent noticed without failing on it: unreported metrics, a Node version mismatch, ... */
  warnings: z.array(z.string().max(2000)).max(50).default([]),
});
export type ValidationOutput = z.infer<typeof ValidationOutput>;

export const validationSpec = agentSpec({
  type: 'validation',
  description: 'Installs, typechecks, lints and tests a commit, and evaluates quality gates',
  input: ValidationInput,
  output: ValidationOutput,
  concurrency: 1,
});
