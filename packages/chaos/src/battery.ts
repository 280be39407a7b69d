import { errorMessage } from './errors.js';
import { Random } from './random.js';
import type { Mode, Scenario, ScenarioContext, ScenarioResult } from './scenario.js';
import { ScenarioRecorder } from './scenario.js';
import { ChaosStack } from './stack.js';

export interface RunOptions {
  seed: number;
  mode: Mode;
  /** Where failed scenarios leave their process logs and ledger (null: nowhere). */
  logDir: string | null;
  log?: (message: string) => void;
}

/** Runs one scenario on its own stack(s) and returns its result; never throws for a scenario failure. */
export async function runScenario(s: Scenario, opts: RunOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const rec = new ScenarioRecorder();
  const stacks: ChaosStack[] = [];
  const log = (m: string) => opts.log?.(`[${s.id} ${s.name}] ${m}`);
  const ctx: ScenarioContext = {
    mode: opts.mode,
    rng: new Random(opts.seed).fork(s.name),
    rec,
    log,
    async stack(o = {}) {
      const st = await ChaosStack.start({ ...o, label: `${s.id}-${s.name}-${stacks.length + 1}`, logDir: opts.logDir });
      stacks.push(st);
      return st;
    },
  };
  const size = s.sizes[opts.mode];
  try {
    await s.run(ctx, size);
  } catch (e: unknown) {
    rec.violations.push(`scenario stopped with an error: ${errorMessage(e)}`);
  }
  const logs: string[] = [];
  for (const st of stacks) {
    try {
      const dir = await st.close(rec.violations.length > 0);
      if (dir) logs.push(dir);
    } catch (e: unknown) {
      log(`teardown failed: ${errorMessage(e)}`);
    }
  }
  return {
    id: s.id,
    name: s.name,
    title: s.title,
    invariant: s.invariant,
    mode: opts.mode,
    seed: opts.seed,
    ok: rec.violations.length === 0,
    violations: rec.violations,
    sizes: size,
    faults: rec.faults,
    headline: rec.headline,
    counts: rec.counts,
    figures: rec.figures,
    durationMs: Date.now() - started,
    logs,
  };
}
