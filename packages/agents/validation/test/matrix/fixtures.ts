/**
 * Fixture projects, one per runner (and per package manager), each in a passing and a failing
 * variant. Every test makes one assertion, so runners that count assertions (node-tap) and runners
 * that count tests agree: passing = 3 passed + 1 skipped, failing = 2 passed + 1 failed + 1 skipped.
 */
export type Variant = 'pass' | 'fail';
export type Files = Record<string, string>;

export interface Fixture {
  name: string;
  files: (v: Variant) => Files;
  /** Extra checks on the output beyond counts and verdict. */
  coverage?: 'lines';
  /** Where the counts come from, as the output's `tests.source` says. */
  source: string;
}

const LIB = 'exports.add = (a, b) => a + b;\nexports.sub = (a, b) => a - b;\n';
const LIB_ESM = 'export const add = (a, b) => a + b;\nexport const sub = (a, b) => a - b;\n';
const expected = (v: Variant) => (v === 'pass' ? 4 : 5);

const pkg = (name: string, scripts: Record<string, string>, devDependencies: Record<string, string> = {}, extra: Record<string, unknown> = {}) =>
  `${JSON.stringify({ name, version: '1.0.0', private: true, license: 'MIT', scripts, devDependencies, ...extra }, null, 2)}\n`;

/** `describe/it` style body (mocha, jasmine, jest, vitest), with `expectEq(a, b)` as the assertion. */
function bddSuite(v: Variant, head: string, expectEq: (a: string, b: string) => string, skip: string): string {
  return [
    head,
    "describe('math', () => {",
    `  it('adds', () => { ${expectEq('add(1, 2)', '3')} });`,
    `  it('subtracts', () => { ${expectEq('sub(3, 2)', '1')} });`,
    `  it('adds again', () => { ${expectEq('add(2, 2)', String(expected(v)))} });`,
    `  ${skip}('later', () => {});`,
    '});',
    '',
  ].join('\n');
}

const assertEq = (a: string, b: string) => `assert.strictEqual(${a}, ${b});`;
const expectBe = (a: string, b: string) => `expect(${a}).toBe(${b});`;
const nodeAssert = "const assert = require('node:assert');\nconst { add, sub } = require('../lib.js');";

function nodeTest(reporter: string, destination?: string): Fixture['files'] {
  return (v) => ({
    'package.json': pkg('node-test', { test: `node --test --test-reporter=${reporter}${destination ? ` --test-reporter-destination=${destination}` : ''}` }),
    'lib.js': LIB,
    'test/math.test.js': bddSuite(v, `const { describe, it } = require('node:test');\n${nodeAssert}`, assertEq, 'it.skip'),
  });
}

function mocha(reporter: string | null, coverage = false): Fixture['files'] {
  const cmd = `mocha${reporter ? ` --reporter ${reporter}` : ''}`;
  return (v) => ({
    'package.json': pkg('mocha-proj', { test: coverage ? `nyc --reporter=text ${cmd}` : cmd }, { mocha: '11.8.0', ...(coverage ? { nyc: '17.1.0' } : {}) }),
    'lib.js': LIB,
    'test/math.test.js': bddSuite(v, nodeAssert, assertEq, 'it.skip'),
  });
}

/** node-tap: subtests with one assertion each. */
function nodeTap(version: string, script: string): Fixture['files'] {
  return (v) => ({
    'package.json': pkg('tap-proj', { test: script }, { tap: version }),
    'lib.js': LIB,
    'test/math.test.js': [
      "const t = require('tap');",
      "const { add, sub } = require('../lib.js');",
      "t.test('adds', async (t) => { t.equal(add(1, 2), 3); });",
      "t.test('subtracts', async (t) => { t.equal(sub(3, 2), 1); });",
      `t.test('adds again', async (t) => { t.equal(add(2, 2), ${expected(v)}); });`,
      "t.test('later', { skip: true }, async () => {});",
      '',
    ].join('\n'),
  });
}

/** uvu, the test files of the package-manager fixtures too: tiny and dependency-light. */
export function uvuFiles(v: Variant, name: string, test: string, extra: Record<string, unknown> = {}, deps: Record<string, string> = { uvu: '0.5.6' }): Files {
  return {
    'package.json': pkg(name, { test }, deps, extra),
    'lib.js': LIB,
    'test/math.js': [
      "const { test } = require('uvu');",
      "const assert = require('uvu/assert');",
      "const { add, sub } = require('../lib.js');",
      "test('adds', () => assert.is(add(1, 2), 3));",
      "test('subtracts', () => assert.is(sub(3, 2), 1));",
      `test('adds again', () => assert.is(add(2, 2), ${expected(v)}));`,
      "test.skip('later', () => {});",
      'test.run();',
      '',
    ].join('\n'),
  };
}

export const RUNNERS: Fixture[] = [
  { name: 'node:test spec', source: 'node:test spec', files: nodeTest('spec') },
  { name: 'node:test tap', source: 'node:test tap', files: nodeTest('tap') },
  { name: 'node:test junit file', source: 'junit', files: nodeTest('junit', 'junit.xml') },
  { name: 'mocha spec + nyc', source: 'mocha', coverage: 'lines', files: mocha(null, true) },
  { name: 'mocha dot', source: 'mocha', files: mocha('dot') },
  { name: 'mocha tap', source: 'tap', files: mocha('tap') },
  { name: 'mocha json', source: 'mocha json', files: mocha('json') },
  {
    name: 'jest',
    source: 'jest json',
    coverage: 'lines',
    files: (v) => ({
      'package.json': pkg('jest-proj', { test: 'jest --coverage --ci' }, { jest: '30.5.2' }),
      'lib.js': LIB,
      'test/math.test.js': bddSuite(v, "const { add, sub } = require('../lib.js');", expectBe, 'it.skip'),
    }),
  },
  {
    name: 'vitest',
    source: 'vitest',
    files: (v) => ({
      'package.json': pkg('vitest-proj', { test: 'vitest run' }, { vitest: '4.1.12' }, { type: 'module' }),
      'lib.js': LIB_ESM,
      'test/math.test.js': bddSuite(v, "import { describe, it, expect } from 'vitest';\nimport { add, sub } from '../lib.js';", expectBe, 'it.skip'),
    }),
  },
  {
    name: 'ava',
    source: 'ava',
    files: (v) => ({
      'package.json': pkg('ava-proj', { test: 'ava' }, { ava: '6.4.1' }),
      'lib.js': LIB,
      'test/math.test.js': [
        "const test = require('ava');",
        "const { add, sub } = require('../lib.js');",
        "test('adds', (t) => { t.is(add(1, 2), 3); });",
        "test('subtracts', (t) => { t.is(sub(3, 2), 1); });",
        `test('adds again', (t) => { t.is(add(2, 2), ${expected(v)}); });`,
        "test.skip('later', (t) => { t.pass(); });",
        '',
      ].join('\n'),
    }),
  },
  { name: 'node-tap 16', source: 'tap', files: nodeTap('16.3.9', 'tap --no-coverage test/') },
  { name: 'node-tap 21', source: 'node-tap', files: nodeTap('21.8.0', 'tap --disable-coverage test/') },
  {
    name: 'jasmine',
    source: 'jasmine',
    files: (v) => ({
      'package.json': pkg('jasmine-proj', { test: 'jasmine' }, { jasmine: '5.9.0' }),
      'lib.js': LIB,
      'spec/support/jasmine.json': '{ "spec_dir": "spec", "spec_files": ["**/*.spec.js"], "random": false }\n',
      'spec/math.spec.js': bddSuite(v, "const { add, sub } = require('../lib.js');", expectBe, 'xit'),
    }),
  },
  { name: 'uvu + c8', source: 'uvu', coverage: 'lines', files: (v) => uvuFiles(v, 'uvu-proj', 'c8 --reporter=text uvu test', {}, { uvu: '0.5.6', c8: '10.1.3' }) },
];

/** Package managers, chosen by the packageManager field (an exact version) or by default; each test script calls its manager. */
export const MANAGERS: Fixture[] = [
  { name: 'npm', source: 'uvu', files: (v) => uvuFiles(v, 'npm-proj', 'npm --version && uvu test') },
  { name: 'pnpm 9 (packageManager)', source: 'uvu', files: (v) => uvuFiles(v, 'pnpm-proj', 'pnpm --version && uvu test', { packageManager: 'pnpm@9.15.9' }) },
  { name: 'yarn classic (packageManager)', source: 'uvu', files: (v) => uvuFiles(v, 'yarn1-proj', 'yarn --version && uvu test', { packageManager: 'yarn@1.22.22' }) },
  // node_modules linker, as most berry projects with ESM tools use (uvu's ESM bin does not run under Plug'n'Play without its loader).
  {
    name: 'yarn berry (packageManager)',
    source: 'uvu',
    files: (v) => ({ ...uvuFiles(v, 'berry-proj', 'yarn --version && uvu test', { packageManager: 'yarn@4.18.1' }), '.yarnrc.yml': 'nodeLinker: node-modules\n' }),
  },
];

/** The counts each variant must report. */
export function countsOf(v: Variant) {
  return v === 'pass' ? { passed: 3, failed: 0, skipped: 1, total: 4 } : { passed: 2, failed: 1, skipped: 1, total: 4 };
}
