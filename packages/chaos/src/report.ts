import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Mode, ScenarioResult } from './scenario.js';
import { formatMs } from './stats.js';

export interface BatteryReport {
  seed: number;
  mode: Mode;
  ok: boolean;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  environment: Record<string, string | number>;
  scenarios: ScenarioResult[];
}

function tryRun(cmd: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** Where the battery ran: enough to compare figures between runs. */
export function environment(repoRoot: string): Record<string, string | number> {
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    // Other work on the machine skews the timings (not the invariants).
    loadAverage1mAtEnd: Math.round(loadavg()[0]! * 100) / 100,
    redis: tryRun('redis-server', ['--version']).replace(/^Redis server /, ''),
    commit: tryRun('git', ['rev-parse', '--short', 'HEAD'], repoRoot),
  };
}

const COLUMNS: { title: string; cell: (r: ScenarioResult) => string }[] = [
  { title: '#', cell: (r) => String(r.id) },
  { title: 'scenario', cell: (r) => r.name },
  { title: 'result', cell: (r) => (r.ok ? 'PASS' : 'FAIL') },
  { title: 'accepted', cell: (r) => String(r.counts.accepted ?? '—') },
  { title: 'refused', cell: (r) => String(r.counts.refused ?? '—') },
  { title: 'faults', cell: (r) => r.faults || '—' },
  { title: 'lost', cell: (r) => String(r.counts.lost ?? '—') },
  { title: 'double commits', cell: (r) => String(r.counts.doubleCommits ?? '—') },
  { title: 're-executions', cell: (r) => String(r.counts.reexecutions ?? '—') },
  { title: 'figures', cell: (r) => r.headline || '—' },
  { title: 'time', cell: (r) => formatMs(r.durationMs) },
];

/** A plain-text table, one row per scenario, followed by every violation. */
export function formatTable(results: readonly ScenarioResult[]): string {
  const rows = [COLUMNS.map((c) => c.title), ...results.map((r) => COLUMNS.map((c) => c.cell(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ').trimEnd();
  const out = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.slice(1).map(line)];
  for (const r of results) {
    for (const v of r.violations) out.push(`  ✗ ${r.id} ${r.name}: ${v}`);
    for (const l of r.logs) out.push(`    logs: ${l}`);
  }
  return out.join('\n');
}

/** Writes the JSON report as `<dir>/chaos-<timestamp>.json` and returns its path. */
export function writeReport(dir: string, report: BatteryReport): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `chaos-${report.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
