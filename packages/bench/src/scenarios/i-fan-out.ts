import { PipelineDefinition } from '@baton/contracts';
import type { BenchRedis } from '../redis.js';
import { repeat, type BenchOptions, type ScenarioResult } from '../scenario.js';
import { median, round } from '../stats.js';
import { cpuOf } from './abc.js';
import { fanFlow, flowThroughput } from './flows.js';
import { batonThroughput, CONCURRENCY } from './throughput.js';

const WIDTH = 100;

/** 1 → WIDTH → 1: `plan` lists WIDTH items, `build` fans out over them (all at once), `ship` fans in. */
export function fanOutPipeline(width = WIDTH): PipelineDefinition {
  const items = Array.from({ length: width }, (_, i) => ({ name: `item-${i}` }));
  return PipelineDefinition.parse({
    stages: [
      { name: 'plan', agent: 'noop', input: { echo: { items } } },
      { name: 'build', agent: 'noop', dependsOn: ['plan'], forEach: { $from: 'stages.plan.output.echo.items', maxParallel: width }, input: { echo: { $from: 'item.name' } } },
      { name: 'ship', agent: 'noop', dependsOn: ['build'], input: { echo: { $from: 'stages.build.output' } } },
    ],
  });
}

/**
 * I: fan-out/fan-in. Baton runs of plan → build (forEach over 100 items) → ship vs BullMQ flows of one
 * parent over 100 children, `n` of each pre-loaded, concurrency 50, no-op handlers, same layout as C and P.
 */
export async function scenarioI(redis: BenchRedis, opts: BenchOptions): Promise<ScenarioResult> {
  const n = opts.quick ? 4 : 10;
  const reps = await repeat(opts, 'I', async (rep) => {
    const m = rep < 0 ? Math.min(n, 4) : n;
    const peer = await flowThroughput(redis, m, WIDTH + 1, (q, i) => fanFlow(q, WIDTH, i));
    const baton = await batonThroughput(redis, m, fanOutPipeline());
    return { peer, baton, ratio: baton.perSecond / peer.perSecond };
  });
  const ratios = reps.map((r) => r.ratio);
  const mid = reps.find((r) => r.ratio === median(ratios)) ?? reps[0]!;
  const b = cpuOf(mid.baton, 'baton');
  const p = cpuOf(mid.peer, 'raw');
  return {
    id: 'I',
    title: `fan-out/fan-in: Baton 1 → ${WIDTH} → 1 runs (forEach, maxParallel ${WIDTH}) vs BullMQ flows of one parent over ${WIDTH} children; ${n} of each pre-loaded, concurrency ${CONCURRENCY}`,
    figures: {
      batonPerSecond: round(median(reps.map((r) => r.baton.perSecond)), 2),
      peerPerSecond: round(median(reps.map((r) => r.peer.perSecond)), 2),
      ratio: round(median(ratios), 4),
      batonMsPerFanOut: round(1000 / median(reps.map((r) => r.baton.perSecond)), 2),
      peerMsPerFanOut: round(1000 / median(reps.map((r) => r.peer.perSecond)), 2),
      batonRedisCpuMs: b.redis!,
      batonOrchestratorCpuMs: b.orchestrator!,
      batonAgentCpuMs: b.agent!,
      peerRedisCpuMs: p.redis!,
      peerWorkerCpuMs: p.worker!,
      peerCommandsPerFlow: mid.peer.commands.perUnit,
    },
    reps: ratios.map((r) => round(r, 4)),
    commands: { unit: 'run', perUnit: mid.baton.commands.perUnit, top: mid.baton.commands.top },
    cpu: { unit: 'run', perProcess: b },
    notes: [
      `Baton: ${WIDTH + 2} stage tasks per run (plan, ${WIDTH} items, ship), engine in the driver process, one noop agent (50 slots) in a child process`,
      `BullMQ: ${WIDTH + 1} jobs per flow, a raw worker in a child process; its commands per flow: ${mid.peer.commands.perUnit} (${Object.entries(mid.peer.commands.top).slice(0, 8).map(([k, v]) => `${k} ${v}`).join(', ')})`,
      `CPU ms per BullMQ flow: ${JSON.stringify(p)}; CPU and commands are from the median-ratio repetition`,
    ],
  };
}
