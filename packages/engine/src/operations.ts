import { FleetDrain, type AgentCommandAccepted, type QueueView } from '@baton/contracts';
import type { EngineContext } from './context.js';
import { fromBullPriority } from './control/priority.js';
import { sendControl } from './control.js';
import { EngineError } from './engine-error.js';
import type { AgentRegistry } from './registry.js';

/** Asks one agent to drain (finish its tasks, exit 0) or restart (hand tasks back, exit at once). */
export async function commandAgent(
  ctx: EngineContext,
  registry: AgentRegistry,
  agentId: string,
  action: 'drain' | 'restart',
): Promise<AgentCommandAccepted> {
  const hb = await registry.get(agentId);
  if (!hb) throw new EngineError('AGENT_NOT_FOUND', `no agent ${agentId} in the registry`);
  const messageId = await sendControl(ctx.redis, ctx.keys, hb.type, { kind: action, agentId });
  ctx.log.info({ agentId, agent: hb.type, action }, 'agent command sent');
  return { agentId, type: hb.type, action, messageId };
}

const FLEET_DRAIN_KEEP_S = 24 * 3600;
/** Give up waiting for a replacement after this long and move on (noted in the drain record). */
const REPLACEMENT_TIMEOUT_MS = 120_000;

async function aliveOfType(registry: AgentRegistry, type: string): Promise<string[]> {
  return (await registry.list()).filter((a) => a.type === type && (a.liveness === 'alive' || a.liveness === 'deaf')).map((a) => a.id);
}

/** Starts a rolling drain of every alive agent of `type`, one at a time. */
export async function startFleetDrain(ctx: EngineContext, registry: AgentRegistry, type: string): Promise<FleetDrain> {
  const ids = await aliveOfType(registry, type);
  if (ids.length === 0) throw new EngineError('AGENT_NOT_FOUND', `no alive agent of type "${type}" to drain`);
  const drain: FleetDrain = {
    type,
    status: 'running',
    startedAt: new Date(ctx.now()).toISOString(),
    finishedAt: null,
    baseline: ids.length,
    pending: ids,
    current: null,
    currentSince: null,
    currentGoneAt: null,
    done: [],
    notes: [],
  };
  const key = ctx.keys.fleetDrain(type);
  const existing = await getFleetDrain(ctx, type);
  if (existing?.status === 'running') throw new EngineError('INVALID_STATE', `a drain of the "${type}" fleet is already running`);
  await ctx.redis.set(key, JSON.stringify(drain), 'EX', FLEET_DRAIN_KEEP_S);
  const advanced = await advanceFleetDrain(ctx, registry, drain);
  ctx.log.info({ agent: type, agents: ids.length }, 'fleet drain started');
  return advanced;
}

export async function getFleetDrain(ctx: EngineContext, type: string): Promise<FleetDrain | null> {
  const json = await ctx.redis.get(ctx.keys.fleetDrain(type));
  return json ? FleetDrain.parse(JSON.parse(json)) : null;
}

/**
 * One step of a rolling drain: wait for the current agent to leave and for the fleet to be back to
 * its size (PM2 or the orchestrator of containers starts a replacement), then drain the next one.
 * State lives in Redis, so a drain survives orchestrator restarts; the reconciler calls this.
 */
export async function advanceFleetDrain(ctx: EngineContext, registry: AgentRegistry, d: FleetDrain): Promise<FleetDrain> {
  if (d.status !== 'running') return d;
  const now = ctx.now();
  const iso = new Date(now).toISOString();
  if (d.current) {
    const hb = await registry.get(d.current);
    const gone = !hb || (await registry.list()).find((a) => a.id === d.current)?.liveness === 'dead';
    if (!gone) return d;
    d.currentGoneAt ??= iso;
    const alive = (await aliveOfType(registry, d.type)).length;
    const waited = now - Date.parse(d.currentGoneAt);
    if (alive < d.baseline && waited < REPLACEMENT_TIMEOUT_MS) return save(ctx, d);
    if (alive < d.baseline) d.notes.push(`no replacement for ${d.current} after ${REPLACEMENT_TIMEOUT_MS / 1000} s; continuing`);
    d.done.push(d.current);
    d.current = null;
    d.currentSince = null;
    d.currentGoneAt = null;
  }
  while (d.pending.length > 0) {
    const next = d.pending.shift()!;
    if (!(await registry.get(next))) {
      d.notes.push(`${next} left before its turn`);
      continue;
    }
    await commandAgent(ctx, registry, next, 'drain');
    d.current = next;
    d.currentSince = iso;
    return save(ctx, d);
  }
  d.status = 'done';
  d.finishedAt = iso;
  ctx.log.info({ agent: d.type, drained: d.done.length }, 'fleet drain finished');
  return save(ctx, d);
}

async function save(ctx: EngineContext, d: FleetDrain): Promise<FleetDrain> {
  await ctx.redis.set(ctx.keys.fleetDrain(d.type), JSON.stringify(d), 'EX', FLEET_DRAIN_KEEP_S);
  return d;
}

/** Advances every running fleet drain (reconciler pass). */
export async function advanceFleetDrains(ctx: EngineContext, registry: AgentRegistry): Promise<void> {
  for (const type of await registry.knownTypes()) {
    const d = await getFleetDrain(ctx, type);
    if (d?.status === 'running') await advanceFleetDrain(ctx, registry, d);
  }
}

/** Queue counts, pause flag and alive agents for every known agent type. */
export async function listQueues(ctx: EngineContext, registry: AgentRegistry): Promise<QueueView[]> {
  const agents = await registry.list();
  const types = [...(await registry.knownTypes())].sort();
  return Promise.all(
    types.map(async (type) => {
      const c = await ctx.queues.counts(type);
      return {
        type,
        paused: await ctx.queues.get(type).isPaused(),
        waiting: c.waiting,
        active: c.active,
        delayed: c.delayed,
        failed: c.failed,
        prioritized: c.prioritized,
        byPriority: runPriorities(await ctx.queues.countsPerPriority(type)),
        agentsAlive: agents.filter((a) => a.type === type && (a.liveness === 'alive' || a.liveness === 'deaf')).length,
      };
    }),
  );
}

/** Pauses or resumes an agent type's queue: agents stop (or resume) taking its jobs; nothing is lost. */
export async function setQueuePaused(ctx: EngineContext, registry: AgentRegistry, type: string, paused: boolean): Promise<QueueView> {
  if (!(await registry.knownTypesFor([type])).has(type)) throw new EngineError('NOT_FOUND', `no agent type "${type}"`);
  const q = ctx.queues.get(type);
  if (paused) await q.pause();
  else await q.resume();
  ctx.log.info({ agent: type, paused }, paused ? 'queue paused' : 'queue resumed');
  return (await listQueues(ctx, registry)).find((v) => v.type === type)!;
}

/** Waiting jobs by run priority (10 = highest), from BullMQ's per-priority counts; zeros left out. */
function runPriorities(byBull: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [p, n] of Object.entries(byBull)) if (n > 0) out[String(fromBullPriority(Number(p)))] = n;
  return out;
}
