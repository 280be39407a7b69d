import { describe, expect, it } from 'vitest';
import { isPlainJest, parseCoverageSummary, parseJestJson, parseJunitXml, parseLcov, parseTestCounts } from '../src/index.js';

// Sample outputs in the shape each runner prints (pinned versions of the matrix test): two suites'
// worth of passing, failing, skipped and todo tests.
const lines = (...l: string[]) => `${l.join('\n')}\n`;

const NODE_SPEC = lines(
  '▶ math',
  '  ✔ adds (0.98ms)',
  '  ✖ breaks (1.58ms)',
  '    AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:',
  '  ﹣ skipped (0.14ms) # SKIP',
  '✔ top (0.14ms)',
  'ℹ tests 5',
  'ℹ suites 1',
  'ℹ pass 2',
  'ℹ fail 1',
  'ℹ cancelled 0',
  'ℹ skipped 1',
  'ℹ todo 1',
  'ℹ duration_ms 176.01',
  '',
  '✖ failing tests:',
  '',
  'test at nt/a.test.js:6:3',
  '✖ breaks (1.58ms)',
  '  AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:',
  '  ',
  '  3 !== 4',
  '      at TestContext.<anonymous> (/x/nt/a.test.js:6:29)',
);

const NODE_TAP_NESTED = lines(
  'TAP version 13',
  '# Subtest: math',
  '    # Subtest: adds',
  '    ok 1 - adds',
  '      ---',
  '      duration_ms: 1.06',
  '      ...',
  '    # Subtest: breaks',
  '    not ok 2 - breaks',
  '      ---',
  "      failureType: 'testCodeFailure'",
  '      error: |-',
  '        Expected values to be strictly equal:',
  '        ',
  '        3 !== 4',
  "      code: 'ERR_ASSERTION'",
  '      ...',
  '    # Subtest: skipped',
  '    ok 3 - skipped # SKIP',
  '    # Subtest: todo one',
  '    ok 4 - todo one # TODO',
  '    1..4',
  'not ok 1 - math',
  '  ---',
  "  error: '1 subtest failed'",
  '  ...',
  '# Subtest: top',
  'ok 2 - top',
  '1..2',
);

const MOCHA_SPEC = lines(
  '',
  '  add',
  '    ✔ adds',
  '    1) adds wrong',
  '    - skipped one',
  '    - pending',
  '',
  '',
  '  1 passing (4ms)',
  '  2 pending',
  '  1 failing',
  '',
  '  1) add',
  '       adds wrong:',
  '',
  '      AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:',
  '',
  '3 !== 4',
  '',
  '      + expected - actual',
  '      at Context.<anonymous> (test/m.test.js:5:33)',
);

const MOCHA_TAP = lines(
  'ok 1 add adds',
  'not ok 2 add adds wrong',
  '  Expected values to be strictly equal:',
  '  3 !== 4',
  'ok 3 add skipped one # SKIP -',
  'ok 4 add pending # SKIP -',
  '# tests 2',
  '# pass 1',
  '# fail 1',
  '1..4',
);

const MOCHA_JSON = JSON.stringify({
  stats: { suites: 1, tests: 4, passes: 1, pending: 2, failures: 1, duration: 5 },
  tests: [],
  pending: [],
  failures: [{ title: 'adds wrong', fullTitle: 'add adds wrong', err: { message: 'Expected values to be strictly equal:\n\n3 !== 4\n' } }],
  passes: [],
}, null, 2);

const JEST = lines(
  'FAIL jt/a.test.js',
  '  math',
  '    ✓ adds (4 ms)',
  '    ✕ breaks (3 ms)',
  '    ○ skipped skipped',
  '    ✎ todo todo one',
  '',
  '  ● math › breaks',
  '',
  '    expect(received).toBe(expected) // Object.is equality',
  '',
  '    Expected: 4',
  '    Received: 3',
  '',
  '    > 4 |   test(\'breaks\', () => expect(add(1, 2)).toBe(4));',
  '',
  'Test Suites: 1 failed, 1 total',
  'Tests:       1 failed, 1 skipped, 1 todo, 1 passed, 4 total',
  'Snapshots:   0 total',
);

const VITEST = lines(
  ' ❯ a.test.js (4 tests | 1 failed | 1 skipped | 1 todo) 15ms',
  '     ✓ adds 3ms',
  '     × breaks 9ms',
  '⎯⎯⎯⎯⎯⎯⎯ Failed Tests 1 ⎯⎯⎯⎯⎯⎯⎯',
  '',
  ' FAIL  a.test.js > math > breaks',
  'AssertionError: expected 3 to be 4 // Object.is equality',
  '',
  '- Expected',
  '+ Received',
  '',
  ' Test Files  1 failed (1)',
  '      Tests  1 failed | 1 passed | 1 skipped | 1 todo (4)',
);

const AVA_FAILING = lines(
  '',
  '  - [skip] skipped',
  '  - [todo] todo one',
  '  ✔ adds',
  '  ✘ [fail]: breaks',
  '  ─',
  '',
  '  breaks',
  '  Difference (- actual, + expected):',
  '',
  '  1 test failed',
  '  1 test skipped',
  '  1 test todo',
);

const AVA_TAP = lines('TAP version 13', 'ok 1 - skipped # SKIP', 'not ok 2 - todo one # TODO', 'ok 3 - adds', 'not ok 4 - breaks', '  ---', "    message: 'sum is four'", '  ...', '', '1..4', '# tests 3', '# pass 1', '# skip 1', '# fail 2');

const JASMINE = lines(
  'Randomized with seed 93982',
  'Started',
  '*F*.',
  '',
  'Failures:',
  '1) math breaks',
  '  Message:',
  '    Expected 3 to be 4.',
  '  Stack:',
  '        at <Jasmine>',
  'Pending:',
  '',
  '1) math pending one',
  '  No reason given',
  '',
  '4 specs, 1 failure, 2 pending specs',
  'Finished in 0.007 seconds',
);

const UVU = lines(
  'a.test.js',
  '• ✘   (1 / 2)',
  '',
  '   FAIL  "breaks"',
  '    Expected values to be strictly equal:  (is)',
  '',
  '        ++4    (Expected)',
  '',
  ' other  •   (1 / 1)',
  '',
  '  Total:     3',
  '  Passed:    2',
  '  Skipped:   1',
  '  Duration:  2.08ms',
);

/** node-tap 16: TAP only, with a subtest per file and assertions as its leaves. */
const TAP16 = lines(
  'TAP version 13',
  '# Subtest: test/a.test.js',
  '    # Subtest: adds',
  '        ok 1 - should be equal',
  '        ok 2 - expect truthy value',
  '        1..2',
  '    ok 1 - adds # time=10.9ms',
  '    # Subtest: breaks',
  '        not ok 1 - sum is four',
  '          ---',
  '          compare: ===',
  '          diff: |',
  '            -4',
  '            +3',
  '          ...',
  '        1..1',
  '        # failed 1 test',
  '    not ok 2 - breaks # time=23.2ms',
  '    ok 3 - skipped # SKIP',
  '    ok 4 - todo one # TODO',
  '    1..4',
  '    # failed 1 of 4 tests',
  'not ok 1 - test/a.test.js # time=40.6ms',
  '1..1',
  '# failed 1 test',
);

/** node-tap 18–21: TAP 14, then its own summary line. */
const TAP21 = `${TAP16.replace('TAP version 13', 'TAP version 14')}\n# No coverage generated\n# { total: 5, pass: 2, fail: 1, todo: 1, skip: 1 }\n# time=1732.0ms\n`;

describe('test runner outputs', () => {
  it('node:test spec and TAP (nested suites: leaves only)', () => {
    expect(parseTestCounts(NODE_SPEC)).toEqual({
      passed: 2,
      failed: 1,
      skipped: 2,
      total: 5,
      failures: [{ name: 'breaks', message: 'AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:\n3 !== 4' }],
      source: 'node:test spec',
    });
    // Without the summary (say, cut off), the TAP stream alone gives the same counts.
    expect(parseTestCounts(NODE_TAP_NESTED)).toEqual({
      passed: 2,
      failed: 1,
      skipped: 2,
      total: 5,
      failures: [{ name: 'math > breaks', message: 'Expected values to be strictly equal:\n3 !== 4' }],
      source: 'tap',
    });
  });

  it('mocha spec, dot, tap and json reporters', () => {
    const expected = { passed: 1, failed: 1, skipped: 2, total: 4 };
    expect(parseTestCounts(MOCHA_SPEC)).toEqual({ ...expected, failures: [{ name: 'add adds wrong', message: 'AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:\n3 !== 4' }], source: 'mocha' });
    const dot = MOCHA_SPEC.replace(/^ {4}(✔|1\)|-) .*\n/gm, '').replace('  add\n', '  .!,,\n');
    expect(parseTestCounts(dot)).toMatchObject({ ...expected, source: 'mocha' });
    // Mocha's TAP summary leaves pending tests out of "# tests": the test points are counted instead.
    expect(parseTestCounts(MOCHA_TAP)).toEqual({ ...expected, failures: [{ name: 'add adds wrong', message: 'Expected values to be strictly equal:\n3 !== 4' }], source: 'tap' });
    expect(parseTestCounts(`> calc@1.0.0 test\n> mocha --reporter json\n\n${MOCHA_JSON}\n`)).toEqual({ ...expected, failures: [{ name: 'add adds wrong', message: 'Expected values to be strictly equal:\n3 !== 4' }], source: 'mocha json' });
  });

  it('adds up the summaries of several runs (a workspace running each package)', () => {
    const two = `${MOCHA_SPEC}\n${MOCHA_SPEC.replace('1 passing (4ms)', '5 passing (9ms)')}`;
    expect(parseTestCounts(two)).toMatchObject({ passed: 6, failed: 2, skipped: 4, total: 12 });
  });

  it('Jest and Vitest human summaries with the failing tests', () => {
    expect(parseTestCounts(JEST)).toEqual({ passed: 1, failed: 1, skipped: 2, total: 4, failures: [{ name: 'math › breaks', message: 'expect(received).toBe(expected) // Object.is equality\nExpected: 4\nReceived: 3' }], source: 'jest' });
    expect(parseTestCounts(VITEST)).toEqual({ passed: 1, failed: 1, skipped: 2, total: 4, failures: [{ name: 'a.test.js > math > breaks', message: 'AssertionError: expected 3 to be 4 // Object.is equality' }], source: 'vitest' });
  });

  it("Jest's --json results", () => {
    const json = {
      numTotalTests: 4,
      numPassedTests: 1,
      numFailedTests: 1,
      numPendingTests: 1,
      numTodoTests: 1,
      testResults: [{ name: '/x/a.test.js', assertionResults: [{ ancestorTitles: ['math'], title: 'breaks', status: 'failed', failureMessages: ['Error: expect(received).toBe(expected)\n\nExpected: 4\n    at Object.toBe (/x/a.test.js:4:42)'] }] }],
    };
    expect(parseJestJson(json)).toEqual({ passed: 1, failed: 1, skipped: 2, total: 4, failures: [{ name: 'math › breaks', message: 'Error: expect(received).toBe(expected)\nExpected: 4' }], source: 'jest json' });
    expect(parseJestJson({ stats: {} })).toBeNull();
  });

  it('AVA default and TAP reporters', () => {
    expect(parseTestCounts(AVA_FAILING)).toEqual({ passed: 1, failed: 1, skipped: 2, total: 4, failures: [{ name: 'breaks', message: '' }], source: 'ava' });
    expect(parseTestCounts('\n  ✔ a\n  ✔ b\n  ─\n\n  2 tests passed\n  1 known failure\n')).toMatchObject({ passed: 3, failed: 0, skipped: 0, total: 3 });
    // `not ok # TODO` is a todo, not a failure.
    expect(parseTestCounts(AVA_TAP)).toEqual({ passed: 1, failed: 1, skipped: 2, total: 4, failures: [{ name: 'breaks', message: 'sum is four' }], source: 'tap' });
  });

  it('Jasmine and uvu', () => {
    expect(parseTestCounts(JASMINE)).toEqual({ passed: 1, failed: 1, skipped: 2, total: 4, failures: [{ name: 'math breaks', message: 'Expected 3 to be 4.' }], source: 'jasmine' });
    expect(parseTestCounts('Started\n...\n\n\n3 specs, 0 failures\nFinished in 0.01 seconds\n')).toMatchObject({ passed: 3, failed: 0, skipped: 0, total: 3 });
    expect(parseTestCounts(UVU)).toEqual({ passed: 2, failed: 1, skipped: 1, total: 4, failures: [{ name: 'breaks', message: 'Expected values to be strictly equal:  (is)' }], source: 'uvu' });
  });

  it('node-tap 16 (TAP only) and 18–21 (with its summary) count the same assertions', () => {
    const expected = { passed: 2, failed: 1, skipped: 2, total: 5, failures: [{ name: 'test/a.test.js > breaks > sum is four', message: '-4\n+3' }] };
    expect(parseTestCounts(TAP16)).toEqual({ ...expected, source: 'tap' });
    expect(parseTestCounts(TAP21)).toEqual({ ...expected, source: 'node-tap' });
  });

  it('finds nothing in output without a report', () => {
    for (const text of ['', 'Segmentation fault', 'src/a.ts(1,1): error TS2304: nope', 'Done in 0.4s.']) expect(parseTestCounts(text)).toBeNull();
  });
});

describe('report files', () => {
  it('JUnit XML: nested suites, failures, errors and skipped cases', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="5">
  <testsuite name="math" tests="5">
    <testcase classname="math" name="adds" time="0.01"/>
    <testcase classname="math" name="breaks"><failure message="expected 3 to be 4" type="AssertionError">AssertionError: expected 3 to be 4 &amp; more
    at a.test.js:5</failure></testcase>
    <testcase classname="math" name="crashes"><error>TypeError: x is not a function</error></testcase>
    <testcase classname="math" name="later"><skipped/></testcase>
    <testsuite name="nested"><testcase classname="nested" name="deep"/></testsuite>
  </testsuite>
</testsuites>`;
    expect(parseJunitXml(xml)).toEqual({
      passed: 2,
      failed: 2,
      skipped: 1,
      total: 5,
      failures: [
        { name: 'math > breaks', message: 'expected 3 to be 4' },
        { name: 'math > crashes', message: 'TypeError: x is not a function' },
      ],
      source: 'junit',
    });
    expect(parseJunitXml('<testsuite name="x"/>')).toBeNull();
    expect(parseJunitXml('not xml at all <<<')).toBeNull();
  });

  it('coverage-summary.json and lcov', () => {
    const summary = JSON.stringify({ total: { lines: { total: 2, covered: 2, pct: 100 }, statements: { pct: 75 }, functions: { pct: 50 }, branches: { pct: 100 } } });
    expect(parseCoverageSummary(summary)).toEqual({ lines: 100, branches: 100, functions: 50, source: 'coverage-summary.json' });
    expect(parseCoverageSummary('{"nope": 1}')).toBeNull();
    const lcov = lines('TN:', 'SF:lib.js', 'FNF:2', 'FNH:1', 'LF:2', 'LH:2', 'BRF:0', 'BRH:0', 'end_of_record', 'SF:b.js', 'FNF:1', 'FNH:1', 'LF:4', 'LH:1', 'BRF:4', 'BRH:3', 'end_of_record');
    expect(parseLcov(lcov)).toEqual({ lines: 50, branches: 75, functions: 66.67, source: 'lcov' });
    expect(parseLcov('garbage')).toBeNull();
  });
});

describe('asking Jest for JSON', () => {
  it('only for a test script that is one plain Jest call', () => {
    expect(isPlainJest('jest')).toBe(true);
    expect(isPlainJest('jest --coverage --ci')).toBe(true);
    expect(isPlainJest('tsc && jest')).toBe(false);
    expect(isPlainJest('jest --json')).toBe(false);
    expect(isPlainJest('jest; echo done')).toBe(false);
    expect(isPlainJest('vitest run')).toBe(false);
  });
});
