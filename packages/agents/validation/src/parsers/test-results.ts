import { stripAnsi } from '@baton/agent-kit';
import type { TestCounts } from '@baton/contracts';

/**
 * node:test's TAP (and spec) summary: `# tests 9`, `# pass 8`, `# fail 1`, `# skipped 0`, `# todo 0`,
 * `# cancelled 0` (spec: `ℹ pass 8`). Several summaries (several runs) are added up.
 */
function nodeTestSummary(text: string): TestCounts | null {
  const re = /^(?:#|ℹ)\s+(tests|pass|fail|cancelled|skipped|todo)\s+(\d+)\s*$/gm;
  const sums: Record<string, number> = {};
  let seen = false;
  for (const m of text.matchAll(re)) {
    seen = true;
    sums[m[1]!] = (sums[m[1]!] ?? 0) + Number(m[2]);
  }
  if (!seen || sums.tests === undefined) return null;
  const failed = (sums.fail ?? 0) + (sums.cancelled ?? 0);
  const skipped = (sums.skipped ?? 0) + (sums.todo ?? 0);
  const passed = sums.pass ?? Math.max(0, sums.tests - failed - skipped);
  return { passed, failed, skipped, total: sums.tests };
}

/** Plain TAP without a summary: top-level `ok` / `not ok` lines, `# SKIP` / `# TODO` directives. */
function tapLines(text: string): TestCounts | null {
  if (!/^TAP version \d+/m.test(text) && !/^1\.\.\d+/m.test(text)) return null;
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const m of text.matchAll(/^(not ok|ok)\b[^\n#]*(#\s*(SKIP|TODO)\b)?/gim)) {
    if (m[3]) skipped++;
    else if (m[1]!.toLowerCase() === 'ok') passed++;
    else failed++;
  }
  const total = passed + failed + skipped;
  return total > 0 ? { passed, failed, skipped, total } : null;
}

/** Jest (`Tests: 1 failed, 2 skipped, 5 passed, 8 total`) and Vitest (`Tests  1 failed | 5 passed | 2 skipped (8)`). */
function jestOrVitest(text: string): TestCounts | null {
  const line = /^\s*Tests:?\s+(.*\d.*)$/m.exec(text)?.[1];
  if (!line) return null;
  const count = (word: RegExp) => Number(new RegExp(`(\\d+)\\s+${word.source}`).exec(line)?.[1] ?? 0);
  const passed = count(/passed/);
  const failed = count(/failed/);
  const skipped = count(/(?:skipped|todo|pending)/);
  const total = Number(/(\d+)\s+total/.exec(line)?.[1] ?? /\((\d+)\)/.exec(line)?.[1] ?? passed + failed + skipped);
  if (passed + failed + skipped === 0 && total === 0) return null;
  return { passed, failed, skipped, total };
}

/** Test counts from a test command's output, trying the machine-readable formats first; null when none is found. */
export function parseTestCounts(output: string): TestCounts | null {
  const text = stripAnsi(output);
  return nodeTestSummary(text) ?? tapLines(text) ?? jestOrVitest(text);
}
