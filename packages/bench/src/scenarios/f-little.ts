import { Child } from '../child.js';
import type { BenchRedis } from '../redis.js';
import { repeat, type BenchOptions, type ScenarioResult } from '../scenario.js';
import { linearPipeline, BenchStack } from '../stack.js';
import { median, round } from '../stats.js';
import { closedLoop } from './closed-loop.js';

const NS = 'bench';
const STAGES = 5;
const IN_FLIGHT = 500;
const SLOTS = 50;
const MIN_MS = 50;
const MAX_MS = 200;

/** 500 five-stage runs kept in flight over 50 agent slots; stages sleep 50–200 ms (uniform). */
export async function scenarioF(redis: BenchRedis, opts: BenchOptions): Promise<ScenarioResult> {
  const windowS = opts.quick ? 8 : 20;
  const meanMs = (MIN_MS + MAX_MS) / 2;
  const idealStagesPerSecond = SLOTS / (meanMs / 1000);
  const reps = await repeat(opts, 'F', async (rep) => {
    await redis.flush();
    const stack = await BenchStack.start(redis.url, NS);
    const child = await Child.start('agents', { url: redis.url, namespace: NS, agent: 'noop', count: 1, concurrency: SLOTS });
    try {
      const input = () => Object.fromEntries(Array.from({ length: STAGES }, (_, i) => [`s${i + 1}`, MIN_MS + Math.floor(Math.random() * (MAX_MS - MIN_MS + 1))]));
      const r = await closedLoop(stack, linearPipeline(STAGES, 'noop', true), input, { inFlight: IN_FLIGHT, warmupS: rep < 0 ? 2 : 5, windowS: rep < 0 ? 3 : windowS });
      return r.stages / r.seconds;
    } finally {
      await child.stop();
      await stack.stop();
    }
  });
  const achieved = median(reps);
  return {
    id: 'F',
    title: `${IN_FLIGHT} concurrent ${STAGES}-stage runs, ${SLOTS} agent slots, stages sleeping ${MIN_MS}–${MAX_MS} ms`,
    figures: { stagesPerSecond: round(achieved, 1), idealStagesPerSecond: round(idealStagesPerSecond, 1), ratio: round(achieved / idealStagesPerSecond, 3) },
    reps: reps.map((r) => round(r / idealStagesPerSecond)),
    notes: [
      `closed loop: a new run is submitted as one finishes; stage completions counted over ${windowS} s after a 5 s ramp`,
      `Little's law ideal = slots / mean service time = ${SLOTS} / ${meanMs} ms`,
    ],
  };
}
