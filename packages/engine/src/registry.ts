import {
  AGENT_RECORD_TTL_MS,
  AgentHeartbeat,
  AgentTypeRegistration,
  catalogue,
  checkAgentProtocol,
  type AgentView,
  type Keys,
  type Liveness,
} from '@baton/contracts';
import type { RedisClient } from '@baton/platform';
import type { AgentQueues } from './queues.js';

/** What the run view reads from the fleet: see AgentRegistry.hints. */
export interface FleetHints {
  aliveTypes: Set<string>;
  wedged: Map<string, number>;
}

/** A beat this many intervals late makes an agent stale; this many, dead. */
export const STALE_AFTER_BEATS = 3;
export const DEAD_AFTER_BEATS = 10;

export interface LivenessInput {
  hb: AgentHeartbeat;
  lastSeenMs: number;
  now: number;
  /** Jobs waiting on the agent's queue and how long the oldest has waited. */
  waiting: number;
  oldestWaitingMs: number;
  deafAfterMs: number;
}

/**
 * alive / stale / dead from heartbeat age; wedged when beating while the main loop is blocked past
 * the agent's lock duration; deaf when beating with free slots while work waits untaken.
 * `now` and `lastSeenMs` are both Redis's clock (see lastSeenOf); the agent's own times
 * (lastTaskAt, startedAt) are shifted by `skewMs`, how far the agent's clock runs ahead of Redis's.
 */
export function livenessOf(i: LivenessInput & { skewMs?: number }): Liveness {
  const age = i.now - i.lastSeenMs;
  if (age > DEAD_AFTER_BEATS * i.hb.intervalMs) return 'dead';
  if (age > STALE_AFTER_BEATS * i.hb.intervalMs) return 'stale';
  if (isWedged(i.hb)) return 'wedged';
  if (i.hb.state === 'draining' || i.hb.state === 'stopping') return 'draining';
  const idleSince = Date.parse(i.hb.lastTaskAt ?? i.hb.startedAt) - (i.skewMs ?? 0);
  const deaf =
    i.hb.state === 'running' &&
    i.hb.active.length < i.hb.concurrency &&
    i.waiting > 0 &&
    i.oldestWaitingMs > i.deafAfterMs &&
    i.now - idleSince > i.deafAfterMs;
  return deaf ? 'deaf' : 'alive';
}

/** The agent's main loop has been blocked longer than it can hold a job lock. */
export function isWedged(hb: AgentHeartbeat): boolean {
  return hb.wedgedAfterMs !== undefined && hb.eventLoopBlockedMs >= hb.wedgedAfterMs;
}

/**
 * When Redis last took a beat, in Redis's clock, and how far the agent's clock is ahead of it. Agents
 * that predate `seenAt` fall back to their own clock (the index score and beatAt), skew unknown (0).
 */
export function lastSeenOf(hb: AgentHeartbeat, indexScore: number | undefined): { lastSeenMs: number; skewMs: number } {
  const beatAt = Date.parse(hb.beatAt) || 0;
  if (hb.seenAt !== undefined) return { lastSeenMs: hb.seenAt, skewMs: beatAt ? beatAt - hb.seenAt : 0 };
  return { lastSeenMs: Math.max(indexScore ?? 0, beatAt), skewMs: 0 };
}

/** Redis's clock (epoch ms): the one clock every host's liveness is measured against. */
export async function redisNow(redis: RedisClient): Promise<number> {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/**
 * When Redis took an agent's last beat, in Redis's clock, from the record's remaining TTL: every beat
 * writes the record with a TTL of AGENT_RECORD_TTL_MS, which Redis counts down by its own clock, so the
 * beat's age is that TTL minus what remains. Undefined when the key has no TTL (not a beat's write).
 */
export function seenAtFromTtl(now: number, pttl: number): number | undefined {
  return pttl > 0 ? now - Math.max(0, AGENT_RECORD_TTL_MS - pttl) : undefined;
}

/**
 * Heartbeat records with their `seenAt` (Redis's clock, see seenAtFromTtl) and Redis's time, read in
 * one transaction so the remaining TTLs and the clock they are compared with are one instant.
 */
export async function readBeats(redis: RedisClient, keys: Keys, ids: string[]): Promise<{ now: number; beats: AgentHeartbeat[] }> {
  const tx = redis.multi().time();
  for (const id of ids) tx.get(keys.agent(id)).pttl(keys.agent(id));
  const res = (await tx.exec()) ?? [];
  for (const [err] of res) if (err) throw err;
  const [s, us] = res[0]![1] as [string, string];
  const now = Number(s) * 1000 + Math.floor(Number(us) / 1000);
  const beats: AgentHeartbeat[] = [];
  for (let i = 0; i < ids.length; i++) {
    const json = res[1 + 2 * i]![1] as string | null;
    const r = json ? AgentHeartbeat.safeParse(JSON.parse(json)) : null;
    if (!r?.success) continue;
    const seenAt = seenAtFromTtl(now, Number(res[2 + 2 * i]![1]));
    beats.push(seenAt === undefined ? r.data : { ...r.data, seenAt });
  }
  return { now, beats };
}

/** Reads the agent registry the runtimes write (see runtime/heartbeat). */
export class AgentRegistry {
  private typesCache: { at: number; types: Set<string> } | null = null;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly queues: AgentQueues,
    private readonly opts: { deafAfterMs: number; deadRetentionMs: number; now: () => number },
  ) {}

  /** Built-in agent types plus every type an agent runtime has registered. */
  async knownTypes(maxAgeMs = 5000): Promise<Set<string>> {
    const now = this.opts.now();
    if (this.typesCache && now - this.typesCache.at < maxAgeMs) return this.typesCache.types;
    const registered = await this.redis.hkeys(this.keys.agentTypes());
    const types = new Set([...catalogue.keys(), ...registered]);
    this.typesCache = { at: now, types };
    return types;
  }

  /** Known types, re-reading the registry if any of `needed` is missing from the cached set. */
  async knownTypesFor(needed: Iterable<string>): Promise<Set<string>> {
    const cached = await this.knownTypes();
    for (const t of needed) if (!cached.has(t)) return this.knownTypes(0);
    return cached;
  }

  async registeredTypes(): Promise<AgentTypeRegistration[]> {
    const all = await this.redis.hgetall(this.keys.agentTypes());
    return Object.values(all).flatMap((json) => {
      const r = AgentTypeRegistration.safeParse(JSON.parse(json));
      return r.success ? [r.data] : [];
    });
  }

  /** Waiting-job count and age of the oldest waiting job for an agent type. */
  async backlog(agentType: string): Promise<{ waiting: number; oldestWaitingMs: number }> {
    const q = this.queues.get(agentType);
    // A paused queue's waiting jobs are not the agents' to take: no backlog for liveness purposes.
    if (await q.isPaused()) return { waiting: 0, oldestWaitingMs: 0 };
    // Stage jobs carry priorities (control/priority.ts): most wait in BullMQ's prioritized set.
    const waiting = (await q.getWaitingCount()) + (await q.getPrioritizedCount());
    if (waiting === 0) return { waiting, oldestWaitingMs: 0 };
    const [oldest] = await q.getJobs(['waiting', 'prioritized'], 0, 0, true);
    const since = oldest?.timestamp ?? this.opts.now();
    return { waiting, oldestWaitingMs: Math.max(0, this.opts.now() - since) };
  }

  async list(): Promise<AgentView[]> {
    const entries = await this.redis.zrange(this.keys.agents(), 0, -1, 'WITHSCORES');
    const ids: string[] = [];
    const seen = new Map<string, number>();
    for (let i = 0; i < entries.length; i += 2) {
      ids.push(entries[i]!);
      seen.set(entries[i]!, Number(entries[i + 1]));
    }
    if (ids.length === 0) return [];
    const { now, beats } = await readBeats(this.redis, this.keys, ids);
    const backlogs = new Map<string, { waiting: number; oldestWaitingMs: number }>();
    for (const type of new Set(beats.map((b) => b.type))) backlogs.set(type, await this.backlog(type));
    return beats
      .map((hb) => {
        const { lastSeenMs, skewMs } = lastSeenOf(hb, seen.get(hb.id));
        const b = backlogs.get(hb.type)!;
        const proto = checkAgentProtocol(hb.protocol);
        return {
          ...hb,
          liveness: livenessOf({ hb, lastSeenMs, now, skewMs, ...b, deafAfterMs: this.opts.deafAfterMs }),
          lastSeenAgoMs: Math.max(0, now - lastSeenMs),
          compatible: proto.ok,
          incompatibleReason: proto.ok ? null : proto.reason,
        };
      })
      .sort((a, b) => a.type.localeCompare(b.type) || a.id.localeCompare(b.id));
  }

  private aliveCache: { at: number; hints: FleetHints } | null = null;

  /** Agent types with at least one agent beating on time (cached for a second). */
  async aliveTypes(): Promise<Set<string>> {
    return (await this.hints()).aliveTypes;
  }

  /**
   * What the run view needs from the fleet (cached for a second): the types with an agent beating on
   * time and not wedged, and the wedged agents (id -> how long their loop has been blocked).
   */
  async hints(): Promise<FleetHints> {
    const local = this.opts.now();
    if (this.aliveCache && local - this.aliveCache.at < 1000) return this.aliveCache.hints;
    const ids = await this.redis.zrangebyscore(this.keys.agents(), (await redisNow(this.redis)) - 5 * 60_000, '+inf');
    const { now, beats } = await readBeats(this.redis, this.keys, ids);
    const hints: FleetHints = { aliveTypes: new Set(), wedged: new Map() };
    for (const hb of beats) {
      if (now - lastSeenOf(hb, undefined).lastSeenMs > STALE_AFTER_BEATS * hb.intervalMs) continue;
      if (isWedged(hb)) hints.wedged.set(hb.id, hb.eventLoopBlockedMs);
      else hints.aliveTypes.add(hb.type);
    }
    this.aliveCache = { at: local, hints };
    return hints;
  }

  /** One agent's heartbeat record, or null when unknown (or long gone). */
  async get(agentId: string): Promise<AgentHeartbeat | null> {
    const json = await this.redis.get(this.keys.agent(agentId));
    const r = json ? AgentHeartbeat.safeParse(JSON.parse(json)) : null;
    return r?.success ? r.data : null;
  }

  /** Forgets agents not seen for the retention period (index scores are Redis's clock). */
  async prune(): Promise<number> {
    const cutoff = (await redisNow(this.redis)) - this.opts.deadRetentionMs;
    const gone = await this.redis.zrangebyscore(this.keys.agents(), '-inf', cutoff);
    if (gone.length === 0) return 0;
    await this.redis.zrem(this.keys.agents(), ...gone);
    await this.redis.del(...gone.map((id) => this.keys.agent(id)));
    return gone.length;
  }
}
