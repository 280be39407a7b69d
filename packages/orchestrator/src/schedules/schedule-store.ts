import { Role, ScheduleRequest, type Keys, type ScheduleView, type SecretUser } from '@baton/contracts';
import type { RedisClient } from '@baton/platform';
import { z } from 'zod';
import { nextTicks } from './cron-times.js';

export const StoredSchedule = ScheduleRequest.extend({
  name: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Who defined it: its runs use secrets with that key's authority (secret scopes). */
  definedBy: z.object({ keyId: z.string().nullable(), role: Role }).nullable().default(null),
});
export type StoredSchedule = z.infer<typeof StoredSchedule>;

export const ScheduleState = z.object({
  lastTickMs: z.number(),
  lastRunId: z.string().nullable(),
  lastOutcome: z.enum(['started', 'skipped-overlap', 'caught-up', 'passed-over']),
});
export type ScheduleState = z.infer<typeof ScheduleState>;

/**
 * Records a tick as handled unless a later one already is (orchestrators may finish ticks out of
 * order). KEYS[1] state hash; ARGV[1] name, ARGV[2] tick (ms), ARGV[3] state JSON. Returns 1 when written.
 */
const ADVANCE = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local ok, s = pcall(cjson.decode, cur)
  if ok and s.lastTickMs and tonumber(s.lastTickMs) > tonumber(ARGV[2]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

/** Schedule definitions (one hash) and their progress (another), shared by every orchestrator. */
export class ScheduleStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async put(name: string, req: ScheduleRequest, now: Date, definedBy: SecretUser | null): Promise<{ schedule: StoredSchedule; created: boolean }> {
    const existing = await this.get(name);
    const at = now.toISOString();
    const schedule: StoredSchedule = { ...req, name, createdAt: existing?.createdAt ?? at, updatedAt: at, definedBy };
    await this.redis.hset(this.keys.schedules(), name, JSON.stringify(schedule));
    return { schedule, created: existing === null };
  }

  async get(name: string): Promise<StoredSchedule | null> {
    const raw = await this.redis.hget(this.keys.schedules(), name);
    return raw ? StoredSchedule.parse(JSON.parse(raw)) : null;
  }

  async list(): Promise<StoredSchedule[]> {
    const all = await this.redis.hgetall(this.keys.schedules());
    return Object.values(all)
      .map((raw) => StoredSchedule.parse(JSON.parse(raw)))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async delete(name: string): Promise<boolean> {
    const res = (await this.redis.multi().hdel(this.keys.schedules(), name).hdel(this.keys.scheduleState(), name).exec()) ?? [];
    return res[0]?.[1] === 1;
  }

  async state(name: string): Promise<ScheduleState | null> {
    const raw = await this.redis.hget(this.keys.scheduleState(), name);
    return raw ? ScheduleState.parse(JSON.parse(raw)) : null;
  }

  async states(): Promise<Map<string, ScheduleState>> {
    const all = await this.redis.hgetall(this.keys.scheduleState());
    return new Map(Object.entries(all).map(([k, v]) => [k, ScheduleState.parse(JSON.parse(v))]));
  }

  async advance(name: string, s: ScheduleState): Promise<boolean> {
    return (await this.redis.eval(ADVANCE, 1, this.keys.scheduleState(), name, s.lastTickMs, JSON.stringify(s))) === 1;
  }
}

export function scheduleView(s: StoredSchedule, state: ScheduleState | null, nowMs: number, count = 3): ScheduleView {
  return {
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    pipeline: s.pipeline,
    version: s.version ?? null,
    input: s.input,
    labels: s.labels,
    overlap: s.overlap,
    catchUp: s.catchUp,
    paused: s.paused,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    lastTick: state ? new Date(state.lastTickMs).toISOString() : null,
    lastRunId: state?.lastRunId ?? null,
    lastOutcome: state?.lastOutcome ?? null,
    next: s.paused ? [] : nextTicks(s.cron, s.timezone, nowMs, count).map((t) => new Date(t).toISOString()),
  };
}
