import type { Coverage } from '@baton/contracts';

const pct = (hit: number, found: number) => (found === 0 ? 100 : Math.round((hit / found) * 10_000) / 100);

interface SummaryTotal {
  total?: Record<string, { pct?: unknown } | undefined>;
}

/** Istanbul's `json-summary` report (`coverage/coverage-summary.json`: nyc, c8, Jest, Vitest). */
export function parseCoverageSummary(json: string): Coverage | null {
  let doc: SummaryTotal;
  try {
    doc = JSON.parse(json) as SummaryTotal;
  } catch {
    return null;
  }
  const total = doc?.total;
  if (!total || typeof total !== 'object') return null;
  const get = (k: string) => (typeof total[k]?.pct === 'number' ? (total[k]!.pct as number) : null);
  const cov = { lines: get('lines'), branches: get('branches'), functions: get('functions') };
  return cov.lines === null && cov.branches === null && cov.functions === null ? null : { ...cov, source: 'coverage-summary.json' };
}

/** An lcov tracefile (`coverage/lcov.info`): LF/LH, BRF/BRH and FNF/FNH added up over every file; 0 of 0 is 100 %, as Istanbul reports it. */
export function parseLcov(text: string): Coverage | null {
  const sums: Record<string, number> = { LF: 0, LH: 0, BRF: 0, BRH: 0, FNF: 0, FNH: 0 };
  let records = 0;
  for (const line of text.split('\n')) {
    const m = /^(LF|LH|BRF|BRH|FNF|FNH):(\d+)\s*$/.exec(line);
    if (m) sums[m[1]!]! += Number(m[2]);
    if (line.startsWith('end_of_record')) records++;
  }
  if (records === 0) return null;
  return { lines: pct(sums.LH!, sums.LF!), branches: pct(sums.BRH!, sums.BRF!), functions: pct(sums.FNH!, sums.FNF!), source: 'lcov' };
}
