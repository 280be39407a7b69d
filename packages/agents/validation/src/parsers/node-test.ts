import type { TestCounts, TestFailure } from '@baton/contracts';
import { failure, linesUntil, withDetails } from './failures.js';
import { parseTap } from './tap.js';

const KEYS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo', 'duration_ms'] as const;

/** Failures listed by the spec reporter under `✖ failing tests:` (name line, then the error). */
function specFailures(text: string): TestFailure[] {
  const at = text.indexOf('✖ failing tests:');
  if (at < 0) return [];
  const lines = text.slice(at).split('\n');
  const out: TestFailure[] = [];
  lines.forEach((l, i) => {
    const m = /^\s*✖ (.*?)(?: \([\d.]+m?s\))?\s*$/.exec(l);
    if (!m || i === 0) return;
    out.push(failure(m[1]!, linesUntil(lines, i + 1, (x) => /^\s*(at |✖ |test at )/.test(x), 6)));
  });
  return out;
}

/**
 * node:test's own summary, from its TAP (`# tests 5`, `# suites 1`, `# pass 2`, …) or spec reporter
 * (`ℹ tests 5`). It is told from other TAP producers' summaries (mocha's has only tests/pass/fail and
 * leaves out pending tests) by its `suites` or `duration_ms` line. Several runs are added up.
 */
export function parseNodeTestSummary(text: string): TestCounts | null {
  const re = new RegExp(`^(?:#|ℹ) (?<key>${KEYS.join('|')}) (?<value>[\\d.]+)\\s*$`, 'gm');
  const seen = new Set<string>();
  const sums: Record<string, number> = {};
  for (const m of text.matchAll(re)) {
    const key = m.groups!.key!;
    seen.add(key);
    sums[key] = (sums[key] ?? 0) + Number(m.groups!.value);
  }
  if (!seen.has('tests') || !(seen.has('suites') || seen.has('duration_ms') || /^ℹ tests /m.test(text))) return null;
  const failed = (sums.fail ?? 0) + (sums.cancelled ?? 0);
  const skipped = (sums.skipped ?? 0) + (sums.todo ?? 0);
  const total = sums.tests!;
  const passed = Math.max(0, Math.min(sums.pass ?? total, total - failed - skipped));
  const spec = /^ℹ tests /m.test(text);
  const failures = spec ? specFailures(text) : (parseTap(text)?.failures ?? []);
  return withDetails({ passed, failed, skipped, total }, spec ? 'node:test spec' : 'node:test tap', failures);
}

/** node-tap's final summary (v18+; earlier versions print TAP only): `# { total: 5, pass: 2, fail: 1, todo: 1, skip: 1 }`. */
export function parseNodeTapSummary(text: string): Omit<TestCounts, 'failures' | 'source'> | null {
  let seen = false;
  const totals = { total: 0, pass: 0, fail: 0, todo: 0, skip: 0 };
  for (const m of text.matchAll(/^# \{ (total: \d+[^}]*)\}\s*$/gm)) {
    seen = true;
    for (const kv of m[1]!.matchAll(/(\w+): (\d+)/g)) if (kv[1]! in totals) totals[kv[1] as keyof typeof totals] += Number(kv[2]);
  }
  if (!seen) return null;
  return { passed: totals.pass, failed: totals.fail, skipped: totals.todo + totals.skip, total: totals.total };
}
