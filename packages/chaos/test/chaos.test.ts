import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScenario } from '../src/battery.js';
import { seedFromEnv } from '../src/random.js';
import { formatTable } from '../src/report.js';
import { SCENARIOS } from '../src/scenarios/index.js';
import { ChaosStack } from '../src/stack.js';

// The reduced battery: every scenario with small sizes and the same invariants as `pnpm chaos`.
// Processes run the built dist/ (pnpm test builds first). CHAOS_SEED=<n> replays a seed.
const seed = seedFromEnv();
const logDir = join(tmpdir(), `baton-chaos-logs-${seed}`);

describe.skipIf(Boolean(process.env.REDIS_URL))(`chaos battery, reduced (seed ${seed})`, () => {
  // A scenario closes its stacks itself; this catches one abandoned by a test timeout.
  afterAll(() => ChaosStack.closeAll());

  for (const scenario of SCENARIOS) {
    it(`${scenario.id}. ${scenario.title}: ${scenario.invariant}`, async () => {
      const r = await runScenario(scenario, { seed, mode: 'reduced', logDir });
      console.log(`${formatTable([r])}\n(reproduce: CHAOS_SEED=${seed})`);
      expect(r.violations, `seed ${seed}; process logs: ${r.logs.join(', ') || 'none'}`).toEqual([]);
    }, 240_000);
  }
});
