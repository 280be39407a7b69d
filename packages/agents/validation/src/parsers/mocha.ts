import type { TestCounts, TestFailure } from '@baton/contracts';
import { failure, linesUntil, withDetails } from './failures.js';

/**
 * Mocha's numbered failure list (spec and dot reporters): `  1) suite` / `       test:` then the
 * error, up to the stack or the diff.
 */
function mochaFailures(lines: readonly string[]): TestFailure[] {
  const out: TestFailure[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^ {2}(\d+)\) (.+)$/.exec(lines[i]!);
    if (!m) continue;
    const name = [m[2]!.replace(/:$/, '')];
    let j = i + 1;
    // The title continues on more-indented lines until one that ends with ':'.
    if (!m[2]!.endsWith(':')) {
      for (; j < lines.length && /^ {5,}\S/.test(lines[j]!); j++) {
        name.push(lines[j]!.trim().replace(/:$/, ''));
        if (lines[j]!.trim().endsWith(':')) {
          j++;
          break;
        }
      }
    }
    out.push(failure(name.join(' '), linesUntil(lines, j, (x) => /^\s*(at |\+ expected|\d+\) )/.test(x), 6)));
  }
  return out;
}

/** Mocha's spec/dot summary: `N passing (5ms)`, `N pending`, `N failing`. Several runs are added up. */
export function parseMochaSummary(text: string): TestCounts | null {
  const lines = text.split('\n');
  const c = { passed: 0, failed: 0, skipped: 0, total: 0 };
  let seen = false;
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s+(\d+) passing \(\d+(?:\.\d+)?\s*m?s\)\s*$/.exec(lines[i]!);
    if (!m) continue;
    seen = true;
    const passed = Number(m[1]);
    let pending = 0;
    let failing = 0;
    for (const l of lines.slice(i + 1, i + 3)) {
      pending += Number(/^\s+(\d+) pending\s*$/.exec(l)?.[1] ?? 0);
      failing += Number(/^\s+(\d+) failing\s*$/.exec(l)?.[1] ?? 0);
    }
    c.passed += passed;
    c.skipped += pending;
    c.failed += failing;
    c.total += passed + pending + failing;
  }
  return seen ? withDetails(c, 'mocha', mochaFailures(lines)) : null;
}

interface MochaJson {
  stats: { tests: number; passes: number; pending: number; failures: number };
  failures?: { fullTitle?: string; title?: string; err?: { message?: string } }[];
}

/** Mocha's JSON reporter (`{ "stats": { tests, passes, pending, failures }, "failures": [...] }`). */
export function parseMochaJson(value: unknown): TestCounts | null {
  const stats = (value as Partial<MochaJson> | null)?.stats;
  if (!stats || typeof stats.passes !== 'number' || typeof stats.tests !== 'number') return null;
  const j = value as MochaJson;
  const failures = (j.failures ?? []).map((f) => failure(f.fullTitle ?? f.title ?? '', f.err?.message ?? ''));
  return withDetails({ passed: stats.passes, failed: stats.failures, skipped: stats.pending, total: stats.tests }, 'mocha json', failures);
}
