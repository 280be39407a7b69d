import type { TestCounts, TestFailure } from '@baton/contracts';

/** Failures kept per report (the contract's limit). */
export const MAX_FAILURES = 10;

/** Counts as the runner reported them, before names of failures and the source are attached. */
export type Counts = Pick<TestCounts, 'passed' | 'failed' | 'skipped' | 'total'>;

/** A failure's name and the first meaningful lines of its message, trimmed to the contract's sizes. */
export function failure(name: string, message: string | readonly string[]): TestFailure {
  const lines = (typeof message === 'string' ? message.split('\n') : message).map((l) => l.trim()).filter(Boolean);
  return { name: name.trim().slice(0, 500), message: lines.slice(0, 4).join('\n').slice(0, 2000) };
}

/** Counts plus their source and (when there are any) the first failures. */
export function withDetails(counts: Counts, source: string, failures: readonly TestFailure[]): TestCounts {
  return { ...counts, ...(failures.length ? { failures: failures.slice(0, MAX_FAILURES) } : {}), source };
}

/** The lines after index `from` up to (not including) the first line `stop` accepts. */
export function linesUntil(lines: readonly string[], from: number, stop: (line: string) => boolean, max = 12): string[] {
  const out: string[] = [];
  for (let i = from; i < lines.length && out.length < max; i++) {
    const l = lines[i]!;
    if (stop(l)) break;
    out.push(l);
  }
  return out;
}

/** Adds up every match of `re` in `text` per named capture group (absent groups count 0); null when nothing matched. */
export function sumMatches(text: string, re: RegExp, groups: readonly string[]): Record<string, number> | null {
  let seen = false;
  const sums: Record<string, number> = Object.fromEntries(groups.map((g) => [g, 0]));
  for (const m of text.matchAll(re)) {
    seen = true;
    for (const g of groups) sums[g]! += Number(m.groups?.[g] ?? 0);
  }
  return seen ? sums : null;
}
