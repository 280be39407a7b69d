import { defineAgent } from '@baton/runtime';
import { z } from 'zod';
import { preciseNow } from './clock.js';

/** Bench-only agent: reports when its handler started and finished (for the stage-hop latency). */
export const hopAgent = defineAgent({
  type: 'bench-hop',
  description: 'benchmark: records handler start and end times',
  input: z.object({}).loose(),
  output: z.object({ startedAt: z.number(), endedAt: z.number() }),
  handler() {
    const startedAt = preciseNow();
    return Promise.resolve({ startedAt, endedAt: preciseNow() });
  },
});
