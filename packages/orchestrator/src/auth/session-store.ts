import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Keys } from '@baton/contracts';
import type { RedisClient } from '@baton/platform';
import { z } from 'zod';

/** What a session remembers: which key (or the bootstrap key, by hash) opened it. Never a secret. */
const SessionRecord = z.object({
  keyId: z.string().nullable(),
  /** A salted hash of the bootstrap admin key (`bootstrapSessionHash`), when that key opened the session (it must still be configured). */
  bootstrapHash: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string(),
});
export type SessionRecord = z.infer<typeof SessionRecord>;

export const SESSION_COOKIE = 'baton_session';
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** `s1:<salt>:<HMAC-SHA256(salt, key)>`: a session record does not give away a hash to compare other stores against. */
export function bootstrapSessionHash(key: string): string {
  const salt = randomBytes(16).toString('hex');
  return `s1:${salt}:${createHmac('sha256', salt).update(key).digest('hex')}`;
}

export function bootstrapSessionMatches(stored: string, key: string): boolean {
  const [version, salt, mac] = stored.split(':');
  if (version !== 's1' || !salt || !mac || mac.length !== 64) return false;
  return timingSafeEqual(Buffer.from(mac, 'hex'), createHmac('sha256', salt).update(key).digest());
}

/**
 * Dashboard sessions: a random token in an HttpOnly, SameSite=Strict cookie, stored in Redis only
 * as its hash with an expiry. Each request through a session re-checks the key that opened it, so
 * revoking or expiring the key ends its sessions at once.
 */
export class SessionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    readonly ttlMs: number,
  ) {}

  async create(keyId: string | null, bootstrapHash: string | null): Promise<{ token: string; record: SessionRecord }> {
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    const record: SessionRecord = { keyId, bootstrapHash, createdAt: new Date(now).toISOString(), expiresAt: new Date(now + this.ttlMs).toISOString() };
    await this.redis.set(this.keys.session(sha256(token)), JSON.stringify(record), 'PX', this.ttlMs);
    return { token, record };
  }

  async get(token: string): Promise<SessionRecord | null> {
    if (!TOKEN.test(token)) return null;
    const raw = await this.redis.get(this.keys.session(sha256(token)));
    if (!raw) return null;
    const parsed = SessionRecord.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }

  async delete(token: string): Promise<void> {
    if (TOKEN.test(token)) await this.redis.del(this.keys.session(sha256(token)));
  }
}

/** The value of one cookie from a Cookie header (no dependency for one cookie). */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
