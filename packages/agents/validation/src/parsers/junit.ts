import type { TestCounts, TestFailure } from '@baton/contracts';
import { XMLParser } from 'fast-xml-parser';
import { failure, withDetails } from './failures.js';

type Node = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  textNodeName: '#text',
  processEntities: true,
  isArray: (name) => ['testsuite', 'testcase', 'failure', 'error', 'skipped'].includes(name),
});

const asNodes = (v: unknown): Node[] => (Array.isArray(v) ? (v as Node[]) : []);
const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'object' && v !== null ? String((v as Node)['#text'] ?? '') : '');

function cases(suite: Node): Node[] {
  return [...asNodes(suite.testcase), ...asNodes(suite.testsuite).flatMap(cases)];
}

/**
 * JUnit XML (`<testsuites>`/`<testsuite>`, nested suites included): every `<testcase>` is a test;
 * one with `<failure>` or `<error>` failed, one with `<skipped>` was skipped. null when the document
 * holds no test case (or is not XML).
 */
export function parseJunitXml(xml: string): TestCounts | null {
  let doc: Node;
  try {
    doc = parser.parse(xml) as Node;
  } catch {
    return null;
  }
  const roots = [...asNodes((doc.testsuites as Node | undefined)?.testsuite), ...asNodes(doc.testsuite)];
  const all = roots.flatMap(cases);
  if (all.length === 0) return null;
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures: TestFailure[] = [];
  for (const c of all) {
    const bad = [...asNodes(c.failure), ...asNodes(c.error)];
    if (bad.length) {
      failed++;
      const name = String(c.name ?? '');
      const cls = String(c.classname ?? '');
      const first = bad[0]!;
      failures.push(failure(cls && cls !== name && !name.startsWith(cls) ? `${cls} > ${name}` : name, String(first.message ?? '') || text(first)));
    } else if (asNodes(c.skipped).length || c.skipped === '') skipped++;
    else passed++;
  }
  return withDetails({ passed, failed, skipped, total: passed + failed + skipped }, 'junit', failures);
}

/** Adds up the reports of several JUnit files. */
export function mergeCounts(reports: readonly TestCounts[], source: string): TestCounts | null {
  if (reports.length === 0) return null;
  const sum = { passed: 0, failed: 0, skipped: 0, total: 0 };
  const failures: TestFailure[] = [];
  for (const r of reports) {
    sum.passed += r.passed;
    sum.failed += r.failed;
    sum.skipped += r.skipped;
    sum.total += r.total;
    failures.push(...(r.failures ?? []));
  }
  return withDetails(sum, source, failures);
}
