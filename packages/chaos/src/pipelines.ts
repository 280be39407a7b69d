import type { Random } from './random.js';
import type { RunSpec } from './submitter.js';

/** A run of `n` noop stages in a chain (s1 → s2 → …), each sleeping a random time in `ms`. */
export function chain(rng: Random, n: number, ms: [number, number]): RunSpec {
  const stageMs: Record<string, number> = {};
  const stages = Array.from({ length: n }, (_, i) => {
    const name = `s${i + 1}`;
    stageMs[name] = rng.int(ms[0], ms[1]);
    return { name, agent: 'noop', ...(i > 0 ? { dependsOn: [`s${i}`] } : {}), input: { ms: stageMs[name] } };
  });
  return { request: { definition: { stages } }, stageMs };
}

/** A run of `n` independent noop stages (all queued at once), each sleeping a random time in `ms`. */
export function fanOut(rng: Random, n: number, ms: [number, number]): RunSpec {
  const stageMs: Record<string, number> = {};
  const stages = Array.from({ length: n }, (_, i) => {
    const name = `p${i + 1}`;
    stageMs[name] = rng.int(ms[0], ms[1]);
    return { name, agent: 'noop', input: { ms: stageMs[name] } };
  });
  return { request: { definition: { stages } }, stageMs };
}
