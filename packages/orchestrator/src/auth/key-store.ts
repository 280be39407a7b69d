import { ApiKeyView, type Actor, type Keys, type Role } from '@baton/contracts';
import type { RedisClient } from '@baton/platform';
import { generateApiKey, hashSecret, parseApiKey, sameSecret } from './api-key.js';

export type Verification = { ok: true; actor: Actor } | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' | 'expired'; keyId: string | null };

/** API keys in Redis: a hash per key (secret stored as sha256), a set of ids. */
export class KeyStore {
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly now: () => number = Date.now,
  ) {}

  async create(name: string, role: Role, expiresAt: string | null, createdBy: string | null): Promise<{ view: ApiKeyView; key: string }> {
    const { id, key, secretHash } = generateApiKey();
    const view: ApiKeyView = { id, name, role, createdAt: new Date(this.now()).toISOString(), createdBy, expiresAt, revokedAt: null, lastUsedAt: null };
    await this.redis
      .multi()
      .hset(this.keys.apiKey(id), { ...view, secretHash, expiresAt: expiresAt ?? '', revokedAt: '', lastUsedAt: '', createdBy: createdBy ?? '' })
      .sadd(this.keys.apiKeys(), id)
      .exec();
    return { view, key };
  }

  private async load(id: string): Promise<(ApiKeyView & { secretHash: string }) | null> {
    const h = await this.redis.hgetall(this.keys.apiKey(id));
    if (!h.secretHash) return null;
    const orNull = (v: string | undefined) => (v ? v : null);
    return {
      ...ApiKeyView.parse({
        id: h.id,
        name: h.name,
        role: h.role,
        createdAt: h.createdAt,
        createdBy: orNull(h.createdBy),
        expiresAt: orNull(h.expiresAt),
        revokedAt: orNull(h.revokedAt),
        lastUsedAt: orNull(h.lastUsedAt),
      }),
      secretHash: h.secretHash,
    };
  }

  async list(): Promise<ApiKeyView[]> {
    const ids = await this.redis.smembers(this.keys.apiKeys());
    const all = await Promise.all(ids.map((id) => this.load(id)));
    return all
      .filter((k): k is NonNullable<typeof k> => k !== null)
      .map(({ secretHash: _omit, ...view }) => view)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Revokes a key; returns it, or null when unknown. Revoking twice keeps the first time. */
  async revoke(id: string): Promise<ApiKeyView | null> {
    const k = await this.load(id);
    if (!k) return null;
    if (!k.revokedAt) await this.redis.hset(this.keys.apiKey(id), 'revokedAt', new Date(this.now()).toISOString());
    const { secretHash: _omit, ...view } = (await this.load(id))!;
    return view;
  }

  async verify(presented: string): Promise<Verification> {
    const parsed = parseApiKey(presented);
    if (!parsed) return { ok: false, reason: 'malformed', keyId: null };
    const k = await this.load(parsed.id);
    if (!k || !sameSecret(k.secretHash, hashSecret(parsed.secret))) return { ok: false, reason: 'unknown', keyId: parsed.id };
    if (k.revokedAt) return { ok: false, reason: 'revoked', keyId: k.id };
    if (k.expiresAt && Date.parse(k.expiresAt) <= this.now()) return { ok: false, reason: 'expired', keyId: k.id };
    this.touch(k.id);
    return { ok: true, actor: { keyId: k.id, name: k.name, role: k.role } };
  }

  /** Checks a key by id, for a session it opened (the secret was checked when the session began). */
  async verifyId(id: string): Promise<Verification> {
    const k = await this.load(id);
    if (!k) return { ok: false, reason: 'unknown', keyId: id };
    if (k.revokedAt) return { ok: false, reason: 'revoked', keyId: k.id };
    if (k.expiresAt && Date.parse(k.expiresAt) <= this.now()) return { ok: false, reason: 'expired', keyId: k.id };
    this.touch(k.id);
    return { ok: true, actor: { keyId: k.id, name: k.name, role: k.role } };
  }

  /** Records last use, at most once a minute per key and process (not on the request's critical path). */
  private touch(id: string): void {
    const now = this.now();
    if (now - (this.touched.get(id) ?? 0) < 60_000) return;
    this.touched.set(id, now);
    this.redis.hset(this.keys.apiKey(id), 'lastUsedAt', new Date(now).toISOString()).catch(() => undefined);
  }
}
