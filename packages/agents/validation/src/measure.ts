import { readFile, stat } from 'node:fs/promises';
import type { StepRun } from '@baton/agent-kit';
import type { Coverage, TestCounts } from '@baton/contracts';
import { parseCoverage } from './parsers/coverage.js';
import { parseJestJson } from './parsers/jest-vitest.js';
import { parseLintCounts } from './parsers/lint.js';
import { DEFAULT_JUNIT_GLOBS, readCoverageFiles, readJunitReports } from './parsers/report-files.js';
import { parseTestCounts } from './parsers/test-results.js';
import { parseTypeErrors } from './parsers/typecheck.js';

export interface Measured {
  tests: TestCounts | null;
  typecheck: { errors: number } | null;
  lint: { errors: number; warnings: number } | null;
  coverage: Coverage | null;
}

async function jestResults(file: string | null, sinceMs: number): Promise<TestCounts | null> {
  if (!file) return null;
  try {
    if ((await stat(file)).mtimeMs < sinceMs) return null;
    return parseJestJson(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    return null;
  }
}

/**
 * What the check steps reported. Test counts come from the most machine-readable source there is:
 * Jest's JSON results (when asked for), JUnit XML files the test step wrote, then its output.
 * Coverage: a text table in the output, else `coverage/coverage-summary.json` or `coverage/lcov.info`
 * written by the test step. A timed-out test step reports nothing (its output is partial).
 */
export async function measure(dir: string, steps: { typecheck: StepRun; lint: StepRun; test: StepRun }, opts: { junit?: readonly string[] | undefined; jestJson: string | null; testStartedAt: number }): Promise<Measured> {
  const ok = (s: StepRun) => s.result?.ok ?? false;
  const { typecheck, lint, test } = steps;
  const errors = typecheck.result ? parseTypeErrors(typecheck.result.output, ok(typecheck)) : null;
  const since = opts.testStartedAt - 1000; // file systems with coarse timestamps
  let tests: TestCounts | null = null;
  let coverage: Coverage | null = null;
  if (test.result && !test.result.timedOut) {
    tests = (await jestResults(opts.jestJson, since)) ?? (await readJunitReports(dir, opts.junit ?? DEFAULT_JUNIT_GLOBS, since)) ?? parseTestCounts(test.result.output);
    coverage = parseCoverage(test.result.output) ?? (await readCoverageFiles(dir, since));
  }
  return {
    tests,
    typecheck: errors === null ? null : { errors },
    lint: lint.result ? parseLintCounts(lint.result.output, ok(lint)) : null,
    coverage,
  };
}
