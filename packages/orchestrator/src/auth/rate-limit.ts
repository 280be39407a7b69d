import rateLimit from '@fastify/rate-limit';
import type { Keys } from '@baton/contracts';
import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '@baton/platform';
import { ApiError } from '../plugins/errors.js';
import { parseApiKey, presentedCredential } from './api-key.js';
import { cookieValue, SESSION_COOKIE, sha256 } from './session-store.js';

/** Routes the rate limit never applies to (probes and scrapes). */
export const RATE_LIMIT_EXEMPT: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics']);

/**
 * Per-key rate limiting with counters in Redis, so every orchestrator instance shares them. Keyed
 * by the presented key's id (read from the header without a Redis lookup, so failed logins are
 * limited too), by dashboard session, or, without either, by client IP.
 *
 * When Redis is unreachable the limiter lets requests through (skipOnError): every API call needs
 * Redis anyway and answers 503 until it is back, and /health must keep answering.
 */
export async function registerRateLimit(app: FastifyInstance, redis: RedisClient, keys: Keys, max: number, windowMs: number): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    max,
    timeWindow: windowMs,
    redis,
    nameSpace: keys.rateLimitPrefix(),
    skipOnError: true,
    hook: 'onRequest',
    allowList: (req) => RATE_LIMIT_EXEMPT.has(req.url.split('?')[0]!),
    keyGenerator: (req) => {
      const cred = presentedCredential(req.headers);
      const key = cred ? parseApiKey(cred) : null;
      if (key) return `key:${key.id}`;
      // A dashboard session is limited on its own (not per IP, which people behind one proxy share).
      const session = cred ? null : cookieValue(req.headers.cookie, SESSION_COOKIE);
      return session ? `session:${sha256(session).slice(0, 24)}` : `ip:${req.ip}`;
    },
    errorResponseBuilder: (_req, ctx) =>
      new ApiError('RATE_LIMITED', `rate limit of ${ctx.max} requests per ${Math.round(windowMs / 1000)} s exceeded; retry in ${Math.ceil(ctx.ttl / 1000)} s`, undefined, {
        'retry-after': String(Math.max(1, Math.ceil(ctx.ttl / 1000))),
      }),
  });
}
