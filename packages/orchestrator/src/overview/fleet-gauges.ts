import type { Engine } from '@baton/engine';

export interface FleetGauge {
  /** Jobs waiting on the type's queue (BullMQ waiting + prioritized). */
  waiting: number;
  /** Age of the oldest of them, ms (0 while none waits or the queue is paused). */
  oldestWaitingMs: number;
  /** Agents of the type whose heartbeat is current (every liveness but stale and dead). */
  alive: number;
}

const NOT_ALIVE = new Set(['stale', 'dead']);

/** Queue depth, oldest waiting age and live agents of every known agent type, read now. */
export async function readFleetGauges(engine: Engine): Promise<Map<string, FleetGauge>> {
  const [types, agents] = await Promise.all([engine.registry.knownTypes(), engine.registry.list()]);
  const rows = await Promise.all(
    [...types].sort().map(async (agent) => {
      const [counts, backlog] = await Promise.all([engine.ctx.queues.counts(agent), engine.registry.backlog(agent)]);
      const alive = agents.filter((a) => a.type === agent && !NOT_ALIVE.has(a.liveness)).length;
      return [agent, { waiting: counts.waiting, oldestWaitingMs: backlog.oldestWaitingMs, alive }] as const;
    }),
  );
  return new Map(rows);
}
