import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatModelReport, runModel } from '../src/model/model.js';
import { seedFromEnv } from '../src/random.js';
import { ChaosStack } from '../src/stack.js';

// The model test, reduced: a few dozen short fast-check sequences against one real stack (the full
// form is `pnpm chaos --model`). CHAOS_SEED=<n> replays a seed; MODEL_SEQUENCES=<n> changes the count.
const seed = seedFromEnv();
const sequences = Number(process.env.MODEL_SEQUENCES ?? 24);

// Part of the default suite. Skipped only when REDIS_URL points at an external Redis: the model
// kills and restarts Redis on its AOF, which needs a redis-server the stack starts itself.
describe.skipIf(Boolean(process.env.REDIS_URL))(`model test, reduced (seed ${seed})`, () => {
  afterAll(() => ChaosStack.closeAll());

  it(`${sequences} random operator/fault sequences keep every invariant`, async () => {
    const report = await runModel({
      sequences,
      minCommands: 2,
      maxCommands: 6,
      seed,
      shrinkBudgetMs: 5 * 60_000,
      logDir: join(tmpdir(), `baton-model-logs-${seed}`),
      log: (m) => console.log(m),
    });
    console.log(formatModelReport(report));
    expect(report.failure?.violations ?? [], formatModelReport(report)).toEqual([]);
    expect(report.sequencesExecuted).toBeGreaterThanOrEqual(sequences);
  }, 40 * 60_000);
});
