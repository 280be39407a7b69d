import type { TestCounts, TestFailure } from '@baton/contracts';
import { failure, withDetails } from './failures.js';

const POINT = /^( *)(not ok|ok)\b\s*(?:\d+\s*)?(?:-\s*)?(.*)$/;
const DIRECTIVE = /#\s*(SKIP|TODO)\b/i;

interface Point {
  indent: number;
  ok: boolean;
  directive: 'skip' | 'todo' | null;
  name: string;
  /** Subtest names of the enclosing levels. */
  path: string[];
  yaml: string[];
  plain: string[];
  parent: boolean;
}

/** A YAML diagnostic field (`error: |-` blocks included) of a failing point. */
function yamlField(yaml: readonly string[], key: string): string | null {
  const i = yaml.findIndex((l) => new RegExp(`^\\s*${key}:`).test(l));
  if (i < 0) return null;
  const first = yaml[i]!.replace(new RegExp(`^\\s*${key}:\\s*`), '');
  if (!/^[|>]-?$/.test(first)) return first.replace(/^'(.*)'$/, '$1');
  const indent = /^(\s*)/.exec(yaml[i]!)![1]!.length;
  const body: string[] = [];
  for (const l of yaml.slice(i + 1)) {
    if (l.trim() && /^(\s*)/.exec(l)![1]!.length <= indent) break;
    body.push(l);
  }
  return body.join('\n');
}

function messageOf(p: Point): string {
  const fromYaml = yamlField(p.yaml, 'error') ?? yamlField(p.yaml, 'message') ?? yamlField(p.yaml, 'diff');
  if (fromYaml?.trim()) return fromYaml;
  return p.plain.join('\n');
}

/**
 * Any TAP stream (node:test, node-tap, mocha's and ava's TAP reporters), nested subtests included:
 * leaf test points are counted — a point whose subtests precede it (TAP 13/14 subtests) or that opens
 * a buffered block (`ok 1 - name {`) is a parent, not a test of its own. `# SKIP` and `# TODO` count as
 * skipped (a `not ok # TODO` is not a failure). null when the text holds no TAP.
 */
export function parseTap(text: string): TestCounts | null {
  if (!/^\s*TAP version \d+/m.test(text) && !/^\s*1\.\.\d+\s*$/m.test(text)) return null;
  const points: Point[] = [];
  const subtests: Record<number, string> = {};
  let inYaml = false;
  for (const line of text.split('\n')) {
    const last = points[points.length - 1];
    if (inYaml) {
      if (/^\s*\.\.\.\s*$/.test(line)) inYaml = false;
      else last?.yaml.push(line);
      continue;
    }
    if (last && /^\s*---\s*$/.test(line)) {
      inYaml = true;
      continue;
    }
    const sub = /^( *)# Subtest: (.*)$/.exec(line);
    if (sub) {
      subtests[sub[1]!.length] = sub[2]!.trim();
      continue;
    }
    const m = POINT.exec(line);
    if (!m) {
      if (last && !last.ok && line.startsWith(' '.repeat(last.indent + 1)) && !/^\s*#/.test(line)) last.plain.push(line);
      continue;
    }
    const indent = m[1]!.length;
    const rest = m[3]!;
    const d = DIRECTIVE.exec(rest);
    const name = rest.replace(/\s*#\s*(SKIP|TODO|time=).*$/i, '').replace(/\s*\{\s*$/, '');
    const path = Object.entries(subtests)
      .filter(([i]) => Number(i) < indent)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, n]) => n);
    for (const k of Object.keys(subtests)) if (Number(k) >= indent + 1) delete subtests[Number(k)];
    const parent = (last !== undefined && last.indent > indent) || /\{\s*$/.test(rest);
    points.push({ indent, ok: m[2] === 'ok', directive: d ? (d[1]!.toLowerCase() as 'skip' | 'todo') : null, name, path, yaml: [], plain: [], parent });
  }
  const leaves = points.filter((p) => !p.parent);
  if (leaves.length === 0) return null;
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures: TestFailure[] = [];
  for (const p of leaves) {
    if (p.directive) skipped++;
    else if (p.ok) passed++;
    else {
      failed++;
      failures.push(failure([...p.path, p.name].filter(Boolean).join(' > '), messageOf(p)));
    }
  }
  return withDetails({ passed, failed, skipped, total: passed + failed + skipped }, 'tap', failures);
}
