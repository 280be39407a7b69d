#!/usr/bin/env node
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '@baton/testing';
import { runScenario } from './battery.js';
import { seedFromEnv } from './random.js';
import { environment, formatTable, writeReport, type BatteryReport } from './report.js';
import type { Mode, ScenarioResult } from './scenario.js';
import { SCENARIOS } from './scenarios/index.js';
import { ChaosStack } from './stack.js';
import { formatMs } from './stats.js';

const USAGE = `usage: pnpm chaos [--reduced] [--seed <n>] [--only <ids or names, comma-separated>] [--report-dir <dir>]
       pnpm chaos --model [--sequences <n>] [--seed <n> [--path <fast-check path>]] [--report-dir <dir>]

Runs the chaos battery against a real stack built from dist/ (build first: tsc -b), prints a table
and writes <report-dir>/chaos-<timestamp>.json (default: reports/). CHAOS_SEED=<n> works like --seed.
--model runs the randomized model test instead (default 300 sequences) and writes model-<timestamp>.json;
a failure prints its minimal sequence and the --seed/--path that replay it.
Exit code 0 when every invariant held, 1 otherwise.`;

const { values } = parseArgs({
  options: {
    reduced: { type: 'boolean', default: false },
    seed: { type: 'string' },
    only: { type: 'string' },
    'report-dir': { type: 'string' },
    model: { type: 'boolean', default: false },
    sequences: { type: 'string' },
    path: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const seed = seedFromEnv(values.seed !== undefined ? { CHAOS_SEED: values.seed } : process.env);
const mode: Mode = values.reduced ? 'reduced' : 'full';
const wanted = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
const scenarios = wanted ? SCENARIOS.filter((s) => wanted.includes(String(s.id)) || wanted.includes(s.name)) : SCENARIOS;
if (scenarios.length === 0) {
  console.error(`no scenario matches --only ${values.only ?? ''}; scenarios: ${SCENARIOS.map((s) => `${s.id} ${s.name}`).join(', ')}`);
  process.exit(2);
}
const reportDir = values['report-dir'] ?? join(REPO_ROOT, 'reports');
const startedAt = new Date();
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
const log = (m: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${m}`);

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error(`\n${signal}: stopping every process of the battery…`);
    void ChaosStack.closeAll().finally(() => process.exit(130));
  });
}

if (values.model) {
  const { modelCli } = await import('./model/main-model.js');
  const code = await modelCli({ seed, sequences: Number(values.sequences ?? 300), ...(values.path ? { path: values.path } : {}), reportDir, log });
  await ChaosStack.closeAll();
  process.exit(code);
}

const loadAtStart = Math.round(loadavg()[0]! * 100) / 100;
log(`chaos battery (${mode}), seed ${seed} — reproduce with: CHAOS_SEED=${seed} pnpm chaos${mode === 'reduced' ? ' --reduced' : ''}`);
const results: ScenarioResult[] = [];
for (const s of scenarios) {
  log(`scenario ${s.id} ${s.name}: ${s.title} — sizes ${JSON.stringify(s.sizes[mode])}`);
  const r = await runScenario(s, { seed, mode, logDir: join(reportDir, `chaos-${stamp}-logs`), log });
  results.push(r);
  log(`scenario ${s.id} ${s.name}: ${r.ok ? 'PASS' : 'FAIL'} in ${formatMs(r.durationMs)} — ${r.headline}`);
  for (const v of r.violations) log(`  ✗ ${v}`);
}

const finishedAt = new Date();
const report: BatteryReport = {
  seed,
  mode,
  ok: results.every((r) => r.ok),
  startedAt: startedAt.toISOString(),
  finishedAt: finishedAt.toISOString(),
  durationMs: finishedAt.getTime() - startedAt.getTime(),
  environment: { ...environment(REPO_ROOT), loadAverage1mAtStart: loadAtStart },
  scenarios: results,
};
console.log(`\n${formatTable(results)}\n`);
const file = writeReport(reportDir, report);
console.log(`${report.ok ? 'PASS' : 'FAIL'}: ${results.filter((r) => r.ok).length}/${results.length} scenarios held their invariants in ${formatMs(report.durationMs)} (seed ${seed})`);
console.log(`report: ${file}`);
process.exit(report.ok ? 0 : 1);
