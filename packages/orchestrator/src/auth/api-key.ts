import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { API_KEY_PATTERN } from '@baton/contracts';

/** A fresh key: the id is public (it names the key in lists and logs), the secret is shown once. */
export function generateApiKey(): { id: string; key: string; secretHash: string } {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, key: `bk_${id}_${secret}`, secretHash: hashSecret(secret) };
}

/** API keys are 256-bit random: a fast hash is enough (no dictionary to attack), and lookups stay cheap. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function parseApiKey(presented: string): { id: string; secret: string } | null {
  const m = API_KEY_PATTERN.exec(presented);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

/** Constant-time equality that does not reveal the length either: both sides are hashed to 32 bytes first. */
export function sameSecret(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y) && a.length === b.length;
}

/** The credential a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedCredential(headers: Record<string, string | string[] | undefined>): string | null {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1]! : auth; // a malformed header is still "presented" (and rejected)
  }
  const x = headers['x-api-key'];
  return typeof x === 'string' ? x : null;
}
