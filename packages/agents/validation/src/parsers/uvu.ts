import type { TestCounts } from '@baton/contracts';
import { failure, linesUntil, withDetails } from './failures.js';

/**
 * uvu's summary: `Total: 3`, `Passed: 2`, `Skipped: 1` — Total counts the tests that ran, so skipped
 * ones are added to it — and its `FAIL "name"` blocks.
 */
export function parseUvu(text: string): TestCounts | null {
  const c = { passed: 0, failed: 0, skipped: 0, total: 0 };
  let seen = false;
  for (const m of text.matchAll(/^\s+Total:\s+(\d+)\s*\n\s+Passed:\s+(\d+)\s*\n\s+Skipped:\s+(\d+)\s*$/gm)) {
    seen = true;
    const ran = Number(m[1]);
    const passed = Number(m[2]);
    const skipped = Number(m[3]);
    c.passed += passed;
    c.failed += Math.max(0, ran - passed);
    c.skipped += skipped;
    c.total += ran + skipped;
  }
  if (!seen) return null;
  const lines = text.split('\n');
  const failures = lines.flatMap((l, i) => {
    const m = /^\s+FAIL\s+(?:(\S[^"]*?)\s+)?"(.+)"\s*$/.exec(l);
    return m ? [failure([m[1], m[2]].filter(Boolean).join(' > '), linesUntil(lines, i + 1, (x) => /^\s*(at |\+\+|--)/.test(x), 3))] : [];
  });
  return withDetails(c, 'uvu', failures);
}
