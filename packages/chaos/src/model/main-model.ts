import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatModelReport, runModel } from './model.js';

export interface ModelCliOptions {
  seed: number;
  sequences: number;
  path?: string;
  reportDir: string;
  log(message: string): void;
}

/** `pnpm chaos --model`: runs the model test, prints the summary and writes model-<timestamp>.json. Returns the exit code. */
export async function modelCli(o: ModelCliOptions): Promise<number> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  o.log(`model test: ${o.sequences} sequences, seed ${o.seed} — reproduce with: pnpm chaos --model --seed ${o.seed} --sequences ${o.sequences}`);
  const report = await runModel({
    sequences: o.sequences,
    minCommands: 3,
    maxCommands: 14,
    seed: o.seed,
    ...(o.path ? { path: o.path } : {}),
    shrinkBudgetMs: 30 * 60_000,
    logDir: join(o.reportDir, `model-${stamp}-logs`),
    log: o.log,
  });
  console.log(`\n${formatModelReport(report)}\n`);
  mkdirSync(o.reportDir, { recursive: true });
  const file = join(o.reportDir, `model-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`report: ${file}`);
  return report.ok ? 0 : 1;
}
