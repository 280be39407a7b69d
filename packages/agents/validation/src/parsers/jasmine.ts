import type { TestCounts, TestFailure } from '@baton/contracts';
import { failure, linesUntil, withDetails } from './failures.js';

/** Jasmine's `Failures:` list: `1) suite spec`, then `Message:` and its lines up to `Stack:`. */
function jasmineFailures(lines: readonly string[]): TestFailure[] {
  const start = lines.findIndex((l) => /^Failures:\s*$/.test(l));
  if (start < 0) return [];
  const out: TestFailure[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    if (/^(Pending|Suite error|\d+ specs?,)/.test(lines[i]!)) break;
    const m = /^(\d+)\) (.+)$/.exec(lines[i]!);
    if (!m) continue;
    const msg = lines[i + 1]?.trim() === 'Message:' ? linesUntil(lines, i + 2, (x) => /^\s*Stack:/.test(x), 6) : [];
    out.push(failure(m[2]!, msg));
  }
  return out;
}

/** Jasmine's summary: `4 specs, 1 failure, 2 pending specs` (pending includes xit/xdescribe). */
export function parseJasmine(text: string): TestCounts | null {
  const c = { passed: 0, failed: 0, skipped: 0, total: 0 };
  let seen = false;
  for (const m of text.matchAll(/^(\d+) specs?, (\d+) failures?(?:, (\d+) pending specs?)?/gm)) {
    seen = true;
    const total = Number(m[1]);
    const failed = Number(m[2]);
    const pending = Number(m[3] ?? 0);
    c.total += total;
    c.failed += failed;
    c.skipped += pending;
    c.passed += Math.max(0, total - failed - pending);
  }
  return seen ? withDetails(c, 'jasmine', jasmineFailures(text.split('\n'))) : null;
}
