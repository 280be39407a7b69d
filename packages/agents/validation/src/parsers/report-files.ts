import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Coverage, TestCounts } from '@baton/contracts';
import { glob } from 'tinyglobby';
import { parseCoverageSummary, parseLcov } from './coverage-files.js';
import { mergeCounts, parseJunitXml } from './junit.js';

/** Where projects usually write JUnit XML (jest-junit, mocha-junit-reporter, vitest, node --test-reporter=junit, tap). */
export const DEFAULT_JUNIT_GLOBS: readonly string[] = ['junit.xml', 'test-results.xml', 'junit/**/*.xml', 'reports/**/*.xml', 'test-results/**/*.xml', 'test-reports/**/*.xml'];

const MAX_REPORT_BYTES = 20 * 1024 * 1024;

/** The file's text when it was written since `sinceMs` (a stale, committed report says nothing about this run) and is not huge. */
async function freshText(path: string, sinceMs: number): Promise<string | null> {
  try {
    const s = await stat(path);
    if (!s.isFile() || s.mtimeMs < sinceMs || s.size > MAX_REPORT_BYTES) return null;
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/** Test counts from the JUnit XML files matching `globs` under `dir` that the test step wrote, added up. */
export async function readJunitReports(dir: string, globs: readonly string[], sinceMs: number): Promise<TestCounts | null> {
  const files = await glob([...globs], { cwd: dir, ignore: ['**/node_modules/**', '.git/**'], onlyFiles: true, followSymbolicLinks: false, absolute: true });
  const reports: TestCounts[] = [];
  for (const f of files.sort().slice(0, 200)) {
    const xml = await freshText(f, sinceMs);
    const r = xml ? parseJunitXml(xml) : null;
    if (r) reports.push(r);
  }
  return mergeCounts(reports, 'junit');
}

/** Coverage from `coverage/coverage-summary.json`, else `coverage/lcov.info`, when the test step wrote them. */
export async function readCoverageFiles(dir: string, sinceMs: number): Promise<Coverage | null> {
  const summary = await freshText(join(dir, 'coverage', 'coverage-summary.json'), sinceMs);
  const fromSummary = summary ? parseCoverageSummary(summary) : null;
  if (fromSummary) return fromSummary;
  const lcov = await freshText(join(dir, 'coverage', 'lcov.info'), sinceMs);
  return lcov ? parseLcov(lcov) : null;
}
