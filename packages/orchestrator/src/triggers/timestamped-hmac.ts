import { createHmac } from 'node:crypto';
import { constantTimeEqual } from './constant-time.js';
import { accepted, refused, type SignatureCheck } from './signature-check.js';

/**
 * Baton's own signature scheme, used both for generic incoming webhooks and for outgoing notifications.
 *
 *   X-Baton-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the secret>
 *
 * Binding the timestamp into the signed text lets a receiver refuse replays: a signature older (or
 * further in the future) than the tolerance is `stale` even when the HMAC is right.
 */
export const SIGNATURE_HEADER = 'x-baton-signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function signTimestamped(secret: string, rawBody: string | Buffer, nowSeconds: number): string {
  const t = Math.floor(nowSeconds);
  return `t=${t},v1=${hmacHex(secret, t, rawBody)}`;
}

export function verifyTimestamped(
  secret: string,
  rawBody: string | Buffer,
  header: string | undefined,
  nowSeconds: number,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
): SignatureCheck {
  if (header === undefined || header === '') return refused('missing');
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const at = item.indexOf('=');
    if (at <= 0) return refused('malformed');
    const key = item.slice(0, at).trim();
    parts.set(key, [...(parts.get(key) ?? []), item.slice(at + 1).trim()]);
  }
  const stamps = parts.get('t') ?? [];
  const signatures = parts.get('v1') ?? [];
  const stamp = stamps[0];
  if (stamps.length !== 1 || stamp === undefined || !/^\d{1,12}$/.test(stamp) || signatures.length === 0) {
    return refused('malformed');
  }
  const t = Number(stamp);
  // Every v1 is compared (a sender rotating secrets may send two); none short-circuits on a match.
  const expected = hmacHex(secret, t, rawBody);
  let matched = false;
  for (const candidate of signatures) matched = constantTimeEqual(candidate, expected) || matched;
  if (!matched) return refused('mismatch');
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return refused('stale');
  return accepted;
}

function hmacHex(secret: string, t: number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest('hex');
}
