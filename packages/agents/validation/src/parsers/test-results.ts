import { stripAnsi } from '@baton/agent-kit';
import type { TestCounts } from '@baton/contracts';
import { parseAva } from './ava.js';
import { parseJasmine } from './jasmine.js';
import { parseJestJson, parseJestOrVitest } from './jest-vitest.js';
import { parseMochaJson, parseMochaSummary } from './mocha.js';
import { parseNodeTapSummary, parseNodeTestSummary } from './node-test.js';
import { parseTap } from './tap.js';
import { parseUvu } from './uvu.js';

/** A JSON document printed on its own (mocha --reporter json, jest --json): from the first line that opens an object to the last `}`. */
function jsonInOutput(text: string): unknown {
  const start = text.search(/^\{\s*$|^\{"/m);
  if (start < 0) return null;
  try {
    return JSON.parse(text.slice(start, text.lastIndexOf('}') + 1)) as unknown;
  } catch {
    return null;
  }
}

/** TAP, with node-tap's own summary (v18+) for the counts when it printed one. */
function tapWithSummary(text: string): TestCounts | null {
  const tap = parseTap(text);
  const summary = parseNodeTapSummary(text);
  if (!summary) return tap;
  return { ...summary, ...(tap?.failures ? { failures: tap.failures } : {}), source: 'node-tap' };
}

/**
 * Test counts from a test command's output, trying the formats that say the most first: JSON
 * reports, node:test's summary, TAP (node-tap, mocha/ava TAP reporters, any other producer), then
 * the human summaries of Jest, Vitest, Mocha, Jasmine, AVA and uvu. null when none is found.
 */
export function parseTestCounts(output: string): TestCounts | null {
  const text = stripAnsi(output).replace(/\r\n?/g, '\n');
  const json = jsonInOutput(text);
  const fromJson = json ? (parseMochaJson(json) ?? parseJestJson(json)) : null;
  return (
    fromJson ??
    parseNodeTestSummary(text) ??
    parseJestOrVitest(text) ??
    parseMochaSummary(text) ??
    parseJasmine(text) ??
    parseAva(text) ??
    parseUvu(text) ??
    tapWithSummary(text)
  );
}
