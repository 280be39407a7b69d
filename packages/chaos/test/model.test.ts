import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatModelReport, runModel } from '../src/model/model.js';
import { seedFromEnv } from '../src/random.js';
import { ChaosStack } from '../src/stack.js';

// The model test, reduced: a few dozen short fast-check sequences against one real stack (the full
// form is `pnpm chaos --model`), about 4–6 minutes on a loaded 2-core machine. The seed is fresh on
// every run and printed; CHAOS_SEED=<n> replays one, MODEL_SEQUENCES=<n> changes the count.
const seed = seedFromEnv();
const sequences = Number(process.env.MODEL_SEQUENCES ?? 20);
// Generation and shrinking stop here (the report then shows the smallest failure found so far);
// the test's own timeout is above it, so the report is always printed.
const timeLimitMs = Math.max(15 * 60_000, sequences * 45_000);

// Part of the default suite. Skipped only when REDIS_URL points at an external Redis: the model
// kills Redis and restarts it on its AOF, which needs a redis-server the stack starts itself.
describe.skipIf(Boolean(process.env.REDIS_URL))(`model test, reduced (seed ${seed})`, () => {
  afterAll(() => ChaosStack.closeAll());

  it(`${sequences} random operator/fault sequences keep every invariant`, async () => {
    const report = await runModel({
      sequences,
      minCommands: 2,
      maxCommands: 6,
      seed,
      shrinkBudgetMs: 5 * 60_000,
      timeLimitMs,
      logDir: join(tmpdir(), `baton-model-logs-${seed}`),
      log: (m) => console.log(m),
    });
    console.log(formatModelReport(report));
    expect(report.failure?.violations ?? [], formatModelReport(report)).toEqual([]);
    expect(report.sequencesExecuted, `only ${report.sequencesExecuted} of ${sequences} sequences ran within ${timeLimitMs / 60_000} min`).toBeGreaterThanOrEqual(sequences);
  }, timeLimitMs + 5 * 60_000);
});
