import type { TestCounts, TestFailure } from '@baton/contracts';
import { failure, linesUntil, withDetails } from './failures.js';

/** Jest's `● suite › test` blocks: the name, then the message up to the code frame or stack. */
function jestFailures(lines: readonly string[]): TestFailure[] {
  const out: TestFailure[] = [];
  lines.forEach((l, i) => {
    const m = /^\s{2}● (.+)$/.exec(l);
    if (!m || /^Console$/.test(m[1]!.trim())) return;
    out.push(failure(m[1]!, linesUntil(lines, i + 1, (x) => /^\s*(>?\s*\d+ \||at |● )/.test(x), 8)));
  });
  return out;
}

/** Vitest's ` FAIL  file > suite > test` lines of its "Failed Tests" section, then the error line. */
function vitestFailures(lines: readonly string[]): TestFailure[] {
  const out: TestFailure[] = [];
  lines.forEach((l, i) => {
    const m = /^\s*FAIL\s+(.+ > .+)$/.exec(l);
    if (!m) return;
    out.push(failure(m[1]!, linesUntil(lines, i + 1, (x) => /^\s*(❯|at |FAIL |- Expected|⎯)/.test(x), 3)));
  });
  return out;
}

/**
 * Jest's summary (`Tests:       1 failed, 1 skipped, 1 todo, 1 passed, 4 total`) and Vitest's
 * (`Tests  1 failed | 1 passed | 1 skipped | 1 todo (4)`); skipped, todo and pending tests count as
 * skipped. Several summaries (several runs) are added up.
 */
export function parseJestOrVitest(text: string): TestCounts | null {
  const lines = text.split('\n');
  let seen: 'jest' | 'vitest' | null = null;
  const c = { passed: 0, failed: 0, skipped: 0, total: 0 };
  for (const line of lines) {
    const m = /^\s*Tests(:?)\s+(\d.*)$/.exec(line);
    if (!m) continue;
    const body = m[2]!;
    const n = (word: string) => [...body.matchAll(new RegExp(`(\\d+) ${word}\\b`, 'g'))].reduce((s, x) => s + Number(x[1]), 0);
    const total = m[1] ? Number(/(\d+) total/.exec(body)?.[1] ?? NaN) : Number(/\((\d+)\)\s*$/.exec(body)?.[1] ?? NaN);
    const passed = n('passed');
    const failed = n('failed');
    const skipped = n('skipped') + n('todo') + n('pending');
    if (Number.isNaN(total) && passed + failed + skipped === 0) continue;
    seen = m[1] ? 'jest' : 'vitest';
    c.passed += passed;
    c.failed += failed;
    c.skipped += skipped;
    c.total += Number.isNaN(total) ? passed + failed + skipped : total;
  }
  if (!seen) return null;
  return withDetails(c, seen, seen === 'jest' ? jestFailures(lines) : vitestFailures(lines));
}

interface AssertionResult {
  status?: string;
  fullName?: string;
  title?: string;
  ancestorTitles?: string[];
  failureMessages?: string[];
}
interface JestJson {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests?: number;
  numTodoTests?: number;
  testResults?: { name?: string; message?: string; assertionResults?: AssertionResult[] }[];
}

/** Jest's (and Vitest's) `--json` results, from a file or the output. */
export function parseJestJson(value: unknown): TestCounts | null {
  if (typeof value !== 'object' || value === null || typeof (value as JestJson).numTotalTests !== 'number') return null;
  const j = value as JestJson;
  const failures: TestFailure[] = [];
  for (const file of j.testResults ?? []) {
    for (const a of file.assertionResults ?? []) {
      if (a.status !== 'failed') continue;
      const name = a.ancestorTitles?.length ? [...a.ancestorTitles, a.title ?? ''].join(' › ') : (a.fullName ?? a.title ?? '');
      failures.push(failure(name, (a.failureMessages?.[0] ?? '').split('\n').filter((l) => !/^\s+at /.test(l))));
    }
    // A file that failed to run (syntax error, missing module) has a message and no assertions.
    if (!file.assertionResults?.length && file.message) failures.push(failure(file.name ?? 'test file', file.message.split('\n').filter((l) => !/^\s+at /.test(l))));
  }
  const skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  return withDetails({ passed: j.numPassedTests, failed: j.numFailedTests, skipped, total: j.numTotalTests }, 'jest json', failures);
}
