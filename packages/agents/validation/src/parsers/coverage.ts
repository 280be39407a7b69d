import { stripAnsi } from '@baton/agent-kit';
import type { Coverage } from '@baton/contracts';

function cells(line: string): string[] {
  return line
    .replace(/^\s*#\s?/, '')
    .split('|')
    .map((c) => c.trim());
}

function pct(v: string | undefined): number | null {
  if (v === undefined || v === '') return null;
  const n = Number(v.replace('%', ''));
  return Number.isFinite(n) ? n : null;
}

/**
 * The "all files" row of a coverage table: node --experimental-test-coverage (`line % | branch % |
 * funcs %`) or Istanbul's text reporter used by Jest, Vitest, c8 and nyc (`% Stmts | % Branch |
 * % Funcs | % Lines`). Columns are found by their header. null when there is no table.
 */
export function parseCoverage(output: string): Coverage | null {
  const lines = stripAnsi(output).split('\n');
  let header: string[] | null = null;
  let found: Coverage | null = null;
  for (const line of lines) {
    if (!line.includes('|')) continue;
    const c = cells(line);
    const lower = c.map((x) => x.toLowerCase());
    if (lower.some((x) => x.includes('branch')) && lower.some((x) => x.includes('func'))) {
      header = lower;
      continue;
    }
    if (!header || !/^all files$/i.test(c[0] ?? '')) continue;
    const col = (pred: (h: string) => boolean) => {
      const i = header!.findIndex(pred);
      return i >= 0 ? pct(c[i]) : null;
    };
    found = {
      lines: col((h) => h === 'line %' || h === '% lines'),
      branches: col((h) => h.includes('branch')),
      functions: col((h) => h.includes('func')),
      source: 'text table',
    };
  }
  return found;
}
