import type { TestCounts } from '@baton/contracts';
import { failure, withDetails } from './failures.js';

const COUNT = /^\s+(\d+) (tests? passed|tests? failed|known failures?|tests? skipped|tests? todo|uncaught exceptions?|unhandled rejections?)\s*$/gm;

/**
 * AVA's default reporter: `2 tests passed`, `1 test failed`, `1 known failure`, `1 test skipped`,
 * `1 test todo` at the end. With failures AVA leaves out the passed line, so passed tests are the
 * `✔` lines it printed. Uncaught exceptions and unhandled rejections count as failures.
 */
export function parseAva(text: string): TestCounts | null {
  let seen = false;
  const c = { passed: 0, failed: 0, skipped: 0, total: 0 };
  let passedLine = false;
  for (const m of text.matchAll(COUNT)) {
    seen = true;
    const n = Number(m[1]);
    const kind = m[2]!;
    if (kind.endsWith('passed')) {
      c.passed += n;
      passedLine = true;
    } else if (kind.endsWith('failed') || kind.startsWith('uncaught') || kind.startsWith('unhandled')) c.failed += n;
    else if (kind.startsWith('known')) c.passed += n;
    else c.skipped += n;
  }
  if (!seen) return null;
  if (!passedLine) c.passed += [...text.matchAll(/^\s+✔ (?!\[)/gm)].length;
  c.total = c.passed + c.failed + c.skipped;
  // `✘ [fail]: <title> <assertion message>`: AVA prints the details (diff, code frame) further down, unlabelled.
  const failures = [...text.matchAll(/^\s+✘ \[fail\]: (.+?)(?: \(\d+(?:\.\d+)?m?s\))?\s*$/gm)].map((m) => failure(m[1]!, ''));
  return withDetails(c, 'ava', failures);
}
