import { Child } from '../child.js';
import type { BenchRedis } from '../redis.js';
import type { BenchOptions, ScenarioResult } from '../scenario.js';
import { round, sleep } from '../stats.js';

const NS = 'bench';
const BEAT_MS = 2000;

async function idle(redis: BenchRedis, agents: number, windowS: number) {
  await redis.flush();
  const child = await Child.start('agents', { url: redis.url, namespace: NS, agent: 'noop', count: agents, concurrency: 1, heartbeatMs: BEAT_MS }, 300_000);
  try {
    await sleep(3000);
    await redis.resetStats();
    await sleep(windowS * 1000);
    const total = await redis.infoField('stats', 'total_commands_processed');
    const stats = await redis.commandStats();
    const clients = await redis.clientsByName();
    const connections = [...clients.values()].reduce((a, b) => a + b, 0);
    const beats = agents * (windowS * 1000 / BEAT_MS);
    return { total, stats, connections, beats };
  } finally {
    await child.stop();
  }
}

/** N idle agents (one process) heartbeating every 2 s: Redis commands per second and connections per agent. */
export async function scenarioH(redis: BenchRedis, opts: BenchOptions): Promise<ScenarioResult> {
  const sizes = opts.quick ? [50] : [50, 200];
  const windowS = opts.quick ? 6 : 12;
  const rows: { agents: number; cps: number; perBeat: number; heartbeat: number; conns: number; top: Record<string, number> }[] = [];
  for (const n of sizes) {
    opts.log(`H: ${n} idle agents, ${windowS} s`);
    const r = await idle(redis, n, windowS);
    const top = Object.fromEntries(Object.entries(r.stats).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, round(v / r.beats)]));
    // Idle, only the heartbeat writes SET/ZADD (and MULTI/EXEC, had it used them); the rest is BullMQ and the control read.
    const heartbeat = ['set', 'zadd', 'multi', 'exec'].reduce((a, c) => a + (r.stats[c] ?? 0), 0) / r.beats;
    rows.push({ agents: n, cps: r.total / windowS, perBeat: r.total / r.beats, heartbeat, conns: r.connections / n, top });
  }
  const worst = rows.reduce((a, b) => (b.perBeat > a.perBeat ? b : a));
  return {
    id: 'H',
    title: `${sizes.join(' and ')} idle agents heartbeating every ${BEAT_MS} ms (measured over ${windowS} s)`,
    figures: {
      agents: worst.agents,
      commandsPerSecond: round(worst.cps, 1),
      commandsPerAgentPerBeat: round(worst.perBeat),
      heartbeatCommandsPerBeat: round(worst.heartbeat),
      connectionsPerAgent: round(Math.max(...rows.map((r) => r.conns))),
      ...Object.fromEntries(rows.map((r) => [`cmdPerSec_${r.agents}`, round(r.cps, 1)])),
    },
    reps: rows.map((r) => round(r.perBeat)),
    commands: { unit: 'agent per beat', perUnit: round(worst.perBeat), top: worst.top },
    notes: ['commands counted by total_commands_processed (client commands); the breakdown is INFO commandstats, which also counts commands run inside scripts', 'agents are in one child process, one worker thread each for heartbeats (as each agent process has)'],
  };
}
