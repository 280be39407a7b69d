import { createHash } from 'node:crypto';
import { HookDelivery, Role, TriggerFilter, TriggerMapping, type Keys, type SecretUser, type TriggerRequest, type TriggerView } from '@baton/contracts';
import type { RedisClient } from '@baton/platform';
import { z } from 'zod';

/** A trigger as Redis holds it: the secret is a reference or a sha256, never the value. */
export const StoredTrigger = z.object({
  name: z.string(),
  source: z.enum(['github', 'gitlab', 'generic']),
  secret: z.union([z.object({ kind: z.literal('env'), env: z.string() }), z.object({ kind: z.literal('sha256'), hash: z.string() })]),
  pipeline: z.string(),
  version: z.int().nullable(),
  filter: TriggerFilter,
  mapping: TriggerMapping,
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Who defined it: its runs use secrets with that key's authority (secret scopes). */
  definedBy: z.object({ keyId: z.string().nullable(), role: Role }).nullable().default(null),
});
export type StoredTrigger = z.infer<typeof StoredTrigger>;

const DELIVERIES_KEPT = 50;
export const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** Trigger definitions (one hash) and each trigger's latest deliveries (a capped list). */
export class TriggerStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async put(name: string, req: TriggerRequest, now: Date, definedBy: SecretUser | null): Promise<{ trigger: StoredTrigger; created: boolean }> {
    const existing = await this.get(name);
    const at = now.toISOString();
    const trigger: StoredTrigger = {
      name,
      source: req.source,
      secret: 'env' in req.secret ? { kind: 'env', env: req.secret.env } : { kind: 'sha256', hash: sha256Hex(req.secret.value) },
      pipeline: req.pipeline,
      version: req.version ?? null,
      filter: req.filter,
      mapping: req.mapping,
      createdAt: existing?.createdAt ?? at,
      updatedAt: at,
      definedBy,
    };
    await this.redis.hset(this.keys.triggers(), name, JSON.stringify(trigger));
    return { trigger, created: existing === null };
  }

  async get(name: string): Promise<StoredTrigger | null> {
    const raw = await this.redis.hget(this.keys.triggers(), name);
    return raw ? StoredTrigger.parse(JSON.parse(raw)) : null;
  }

  async list(): Promise<StoredTrigger[]> {
    const all = await this.redis.hgetall(this.keys.triggers());
    return Object.values(all)
      .map((raw) => StoredTrigger.parse(JSON.parse(raw)))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async delete(name: string): Promise<boolean> {
    const [[, removed]] = (await this.redis.multi().hdel(this.keys.triggers(), name).del(this.keys.triggerDeliveries(name)).exec()) as [[Error | null, number]];
    return removed === 1;
  }

  async recordDelivery(name: string, d: HookDelivery): Promise<void> {
    const key = this.keys.triggerDeliveries(name);
    await this.redis.multi().lpush(key, JSON.stringify(d)).ltrim(key, 0, DELIVERIES_KEPT - 1).exec();
  }

  async deliveries(name: string): Promise<HookDelivery[]> {
    const rows = await this.redis.lrange(this.keys.triggerDeliveries(name), 0, DELIVERIES_KEPT - 1);
    return rows.map((r) => HookDelivery.parse(JSON.parse(r)));
  }
}

export function triggerView(t: StoredTrigger): TriggerView {
  return {
    name: t.name,
    source: t.source,
    secret: t.secret.kind === 'env' ? { kind: 'env', env: t.secret.env } : { kind: 'sha256' },
    pipeline: t.pipeline,
    version: t.version,
    filter: t.filter,
    mapping: t.mapping,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    hookPath: `/v1/hooks/${t.name}`,
  };
}
