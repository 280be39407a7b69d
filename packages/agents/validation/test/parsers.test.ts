import { describe, expect, it } from 'vitest';
import { parseCoverage, parseLintCounts, parseTestCounts, parseTypeErrors } from '../src/index.js';

const NODE_TAP = `TAP version 13
# Subtest: adds
ok 1 - adds
# Subtest: skips
ok 2 - skips # SKIP
# Subtest: fails
not ok 3 - fails
1..3
# tests 3
# suites 0
# pass 1
# fail 1
# cancelled 0
# skipped 1
# todo 0
# duration_ms 112.2
# start of coverage report
# ---------------------------------------------------------------
# file           | line % | branch % | funcs % | uncovered lines
# ---------------------------------------------------------------
# dist/a.js      |  91.30 |    75.00 |   80.00 | 12-13
# ---------------------------------------------------------------
# all files      |  91.30 |    75.00 |   80.00 |
# ---------------------------------------------------------------
# end of coverage report
`;

describe('test result parsers', () => {
  it('reads node:test TAP summaries and coverage tables', () => {
    expect(parseTestCounts(NODE_TAP)).toEqual({ passed: 1, failed: 1, skipped: 1, total: 3, failures: [{ name: 'fails', message: '' }], source: 'node:test tap' });
    expect(parseCoverage(NODE_TAP)).toEqual({ lines: 91.3, branches: 75, functions: 80, source: 'text table' });
  });

  it('counts plain TAP lines when there is no summary', () => {
    expect(parseTestCounts('TAP version 13\nok 1 - a\nnot ok 2 - b\nok 3 - c # SKIP no db\n1..3\n')).toEqual({ passed: 1, failed: 1, skipped: 1, total: 3, failures: [{ name: 'b', message: '' }], source: 'tap' });
  });

  it('reads Jest and Vitest summaries, with colours', () => {
    expect(parseTestCounts('Tests:       1 failed, 2 skipped, 5 passed, 8 total\nTime: 1s')).toEqual({ passed: 5, failed: 1, skipped: 2, total: 8, source: 'jest' });
    expect(parseTestCounts('\u001b[2m      Tests \u001b[22m \u001b[1m\u001b[31m1 failed\u001b[39m\u001b[22m\u001b[2m | \u001b[22m\u001b[1m\u001b[32m4 passed\u001b[39m\u001b[22m\u001b[90m (5)\u001b[39m')).toEqual({
      passed: 4,
      failed: 1,
      skipped: 0,
      total: 5,
      source: 'vitest',
    });
  });

  it('reads an Istanbul text table (Jest, Vitest, c8, nyc) by its header', () => {
    const table = ['----------|---------|----------|---------|---------|', 'File      | % Stmts | % Branch | % Funcs | % Lines |', '----------|---------|----------|---------|---------|', 'All files |   88.5  |    70    |   100   |   87.25 |'].join('\n');
    expect(parseCoverage(table)).toEqual({ lines: 87.25, branches: 70, functions: 100, source: 'text table' });
  });

  it('finds nothing in output without a recognised report', () => {
    expect(parseTestCounts('Segmentation fault')).toBeNull();
    expect(parseCoverage('all good')).toBeNull();
  });
});

describe('typecheck and lint parsers', () => {
  it('counts TypeScript errors, plain and pretty; unknown when the compiler failed without any', () => {
    expect(parseTypeErrors("src/a.ts(3,7): error TS2322: Type 'string' is not assignable.\nsrc/b.ts(1,1): error TS2304: Cannot find name 'x'.\n", false)).toBe(2);
    expect(parseTypeErrors('src/a.ts:3:7 - error TS2322: nope\n\nFound 1 error.', false)).toBe(1);
    expect(parseTypeErrors('', true)).toBe(0);
    expect(parseTypeErrors('sh: 1: tsc: not found', false)).toBeNull();
  });

  it('reads ESLint JSON and stylish summaries', () => {
    const json = JSON.stringify([
      { filePath: '/a.ts', errorCount: 2, warningCount: 1, messages: [] },
      { filePath: '/b.ts', errorCount: 0, warningCount: 3, messages: [] },
    ]);
    expect(parseLintCounts(json, false)).toEqual({ errors: 2, warnings: 4 });
    expect(parseLintCounts('\n/a.ts\n  1:1  error  x  no-x\n\n✖ 3 problems (1 error, 2 warnings)\n', false)).toEqual({ errors: 1, warnings: 2 });
    expect(parseLintCounts('', true)).toEqual({ errors: 0, warnings: 0 });
    expect(parseLintCounts('crashed', false)).toBeNull();
  });
});

