import rateLimit from '@fastify/rate-limit';
import type { Keys } from '@baton/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RedisClient } from '@baton/platform';
import { ApiError } from '../plugins/errors.js';
import { presentedCredential, sameSecret } from './api-key.js';
import type { AuthConfig } from './auth-config.js';
import type { KeyStore } from './key-store.js';
import { cookieValue, SESSION_COOKIE, type SessionStore } from './session-store.js';
import { sessionOnce, verifyOnce } from './verified-once.js';

/** Routes the rate limit never applies to (probes and scrapes). */
export const RATE_LIMIT_EXEMPT: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics']);

/**
 * The bucket of a request: the verified key id (a dashboard session counts against the key that
 * opened it), or, for anything that does not verify, the client address. A forged
 * `Bearer bk_<victimId>_…` is therefore counted against the forger's address, never the victim's
 * key, and fresh fake ids share that one bucket too.
 */
async function bucketOf(req: FastifyRequest, config: AuthConfig, store: KeyStore, sessions: SessionStore): Promise<string> {
  const byAddress = `ip:${req.ip}`;
  if (config.mode === 'disabled') return byAddress;
  const credential = presentedCredential(req.headers);
  if (credential) {
    if (config.bootstrapAdminKey && sameSecret(credential, config.bootstrapAdminKey)) return 'bootstrap';
    const v = await verifyOnce(req, store, credential);
    return v.ok ? `key:${v.actor.keyId}` : byAddress;
  }
  const token = cookieValue(req.headers.cookie, SESSION_COOKIE);
  if (!token) return byAddress;
  const s = await sessionOnce(req, sessions, token);
  if (s?.keyId) return `key:${s.keyId}`;
  return s?.bootstrapHash ? 'bootstrap' : byAddress;
}

/**
 * Rate limiting with counters in Redis, so every orchestrator instance shares them (buckets: see
 * `bucketOf`).
 *
 * When Redis is unreachable the limiter lets requests through (skipOnError): every API call needs
 * Redis anyway and answers 503 until it is back, and /health must keep answering.
 */
export async function registerRateLimit(app: FastifyInstance, redis: RedisClient, keys: Keys, config: AuthConfig, store: KeyStore, sessions: SessionStore): Promise<void> {
  const { max, windowMs } = config.rateLimit;
  await app.register(rateLimit, {
    // Not per route: route-level hooks run after authentication, which would answer forged keys
    // with 401 before they were counted. One app-level hook, added before authentication, below.
    global: false,
    max,
    timeWindow: windowMs,
    redis,
    nameSpace: keys.rateLimitPrefix(),
    skipOnError: true,
    hook: 'onRequest',
    allowList: (req) => RATE_LIMIT_EXEMPT.has(req.url.split('?')[0]!),
    // A lookup that fails (Redis down) falls back to the address; authentication then answers 503.
    keyGenerator: (req) => bucketOf(req, config, store, sessions).catch(() => `ip:${req.ip}`),
    errorResponseBuilder: (_req, ctx) =>
      new ApiError('RATE_LIMITED', `rate limit of ${ctx.max} requests per ${Math.round(windowMs / 1000)} s exceeded; retry in ${Math.ceil(ctx.ttl / 1000)} s`, undefined, {
        'retry-after': String(Math.max(1, Math.ceil(ctx.ttl / 1000))),
      }),
  });
  app.addHook('onRequest', app.rateLimit());
}
