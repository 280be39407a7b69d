import type { BenchRedis } from './redis.js';

export interface BenchOptions {
  reps: number;
  quick: boolean;
  log: (msg: string) => void;
}

/** One scenario's figures (medians over the repetitions) and Redis command counts per unit of work. */
export interface ScenarioResult {
  id: string;
  title: string;
  figures: Record<string, number>;
  /** Every repetition's headline figure, for the spread. */
  reps: number[];
  commands?: { unit: string; perUnit: number; top: Record<string, number> };
  /** CPU milliseconds per unit of work, per process (e.g. redis, orchestrator, agent). */
  cpu?: { unit: string; perProcess: Record<string, number> };
  notes: string[];
}

export type Scenario = (redis: BenchRedis, opts: BenchOptions) => Promise<ScenarioResult>;

/** Runs `fn` once to warm up, then `reps` times; returns the measured results. */
export async function repeat<T>(opts: BenchOptions, what: string, fn: (rep: number) => Promise<T>): Promise<T[]> {
  opts.log(`${what}: warm-up`);
  await fn(-1);
  const out: T[] = [];
  for (let i = 0; i < opts.reps; i++) {
    opts.log(`${what}: repetition ${i + 1}/${opts.reps}`);
    out.push(await fn(i));
  }
  return out;
}
