import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioResult } from './scenario.js';
import type { Verdict } from './targets.js';

export interface PassReport {
  persistence: string;
  results: ScenarioResult[];
  verdicts: Verdict[];
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  commit: string;
  host: { cpus: number; loadavg: number[]; node: string; redis: string };
  options: { reps: number; quick: boolean; scenarios: string[] };
  passes: PassReport[];
}

const mark = (met: boolean | null) => (met === null ? '—' : met ? 'met' : 'MISSED');

/** CPU ms per unit, per process, and their sum: "redis 0.1 + orchestrator 0.2 + agent 0.3 = 0.6 / run". */
export function cpuText(cpu: ScenarioResult['cpu']): string {
  if (!cpu) return '';
  const parts = Object.entries(cpu.perProcess).filter(([, v]) => Number.isFinite(v));
  const sum = parts.reduce((a, [, v]) => a + v, 0);
  return `${parts.map(([k, v]) => `${k} ${v}`).join(' + ')} = ${Math.round(sum * 1000) / 1000} / ${cpu.unit}`;
}

export function table(p: PassReport): string {
  const rows = p.verdicts.map((v) => {
    const r = v.of === null ? undefined : p.results.find((x) => x.id === (v.of ?? v.id));
    const cmds = r?.commands ? `${r.commands.perUnit} / ${r.commands.unit}` : '';
    return `| ${v.id} | ${v.figure} | ${v.target} | ${mark(v.met)} | ${cpuText(r?.cpu)} | ${cmds} |`;
  });
  return ['| scenario | median figure | target | | CPU ms per unit | Redis commands |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

export function markdown(r: BenchReport): string {
  const out = [
    `# Baton benchmarks — ${r.startedAt}`,
    '',
    `Commit \`${r.commit}\`, ${r.host.cpus} cores, Node ${r.host.node}, Redis ${r.host.redis}, load average at start ${r.host.loadavg.map((x) => x.toFixed(2)).join(' ')}.`,
    `${r.options.reps} repetitions after a warm-up${r.options.quick ? ' (quick sizes)' : ''}; figures are medians.`,
  ];
  for (const p of r.passes) {
    out.push('', `## Redis persistence: ${p.persistence}`, '', table(p), '');
    for (const res of p.results) {
      out.push(`### ${res.id}. ${res.title}`, '', `- figures: ${JSON.stringify(res.figures)}`, `- repetitions: ${res.reps.join(', ')}`);
      if (res.commands) {
        const top = Object.entries(res.commands.top)
          .slice(0, 12)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ');
        out.push(`- Redis commands per ${res.commands.unit}: ${res.commands.perUnit} (${top})`);
      }
      for (const n of res.notes) out.push(`- ${n}`);
      out.push('');
    }
  }
  return out.join('\n');
}

/** Writes bench/results/<timestamp>.{json,md} and latest.{json,md}. */
export function writeReport(root: string, r: BenchReport): string {
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = r.startedAt.replace(/[:.]/g, '-');
  const json = JSON.stringify(r, null, 2);
  const md = markdown(r);
  for (const name of [stamp, 'latest']) {
    writeFileSync(join(dir, `${name}.json`), json);
    writeFileSync(join(dir, `${name}.md`), md);
  }
  return join(dir, `${stamp}.md`);
}
