import { roleAtLeast, type Actor } from '@baton/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../plugins/errors.js';
import { presentedCredential, sameSecret } from './api-key.js';
import type { AuthConfig } from './auth-config.js';
import type { KeyStore, Verification } from './key-store.js';
import { requirementFor } from './permissions.js';
import { sessionOnce, verifyOnce } from './verified-once.js';
import { isLoopbackHost } from './loopback-host.js';
import { bootstrapSessionMatches, cookieValue, SESSION_COOKIE, type SessionStore } from './session-store.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request (null before authentication, or on public routes). */
    actor: Actor | null;
    /** The key id a request presented when authentication failed (for the audit log). */
    presentedKeyId: string | null;
    /** How the actor was authenticated. */
    authVia: 'header' | 'session' | 'none';
  }
}

const ANONYMOUS: Actor = { keyId: null, name: 'anonymous (auth disabled)', role: 'admin' };
const BOOTSTRAP: Actor = { keyId: null, name: 'bootstrap admin', role: 'admin' };
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const REASONS = {
  malformed: 'the API key is malformed',
  unknown: 'the API key is not valid',
  revoked: 'the API key was revoked',
  expired: 'the API key has expired',
} as const;

/** A cookie-authenticated request that changes something must come from this origin (CSRF guard on top of SameSite=Strict). */
function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return req.headers['sec-fetch-site'] === undefined || req.headers['sec-fetch-site'] === 'same-origin';
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/** Resolves the caller of every request and enforces the permission table (401, then 403). */
export function registerAuthentication(app: FastifyInstance, config: AuthConfig, store: KeyStore, sessions: SessionStore): void {
  app.decorateRequest('actor', null);
  app.decorateRequest('presentedKeyId', null);
  app.decorateRequest('authVia', 'none');
  if (config.mode === 'disabled') {
    app.log.warn(
      'AUTHENTICATION IS DISABLED (BATON_AUTH=disabled): anyone who can reach this port can submit, cancel and operate runs. Use only for the local dev stack.',
    );
  } else if (!config.bootstrapAdminKey) {
    app.log.info('authentication required; create keys with an admin key (BATON_BOOTSTRAP_ADMIN_KEY for the first one)');
  }

  /** The actor of a session cookie, re-checking the key that opened it (401 when the session or its key is gone). */
  async function sessionActor(req: FastifyRequest, token: string): Promise<Actor> {
    const s = await sessionOnce(req, sessions, token);
    if (!s) throw new ApiError('UNAUTHORIZED', 'the dashboard session has ended; sign in again', undefined, { 'www-authenticate': 'Bearer' });
    // Every session, the bootstrap key's too, changes things only from its own origin.
    if (!SAFE_METHODS.has(req.method) && !sameOrigin(req)) throw new ApiError('FORBIDDEN', 'a dashboard session may change things only from its own origin');
    if (s.bootstrapHash !== null) {
      if (config.bootstrapAdminKey && bootstrapSessionMatches(s.bootstrapHash, config.bootstrapAdminKey)) return BOOTSTRAP;
      throw new ApiError('UNAUTHORIZED', 'the bootstrap admin key of this session is no longer configured');
    }
    const v: Verification = await store.verifyId(s.keyId ?? '');
    if (!v.ok) {
      req.presentedKeyId = v.keyId;
      throw new ApiError('UNAUTHORIZED', REASONS[v.reason], undefined, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    return v.actor;
  }

  app.addHook('onRequest', async (req) => {
    const route = req.routeOptions.url;
    let needed = requirementFor(req.method, route);
    if (route === '/metrics') needed = config.metrics === 'open' ? 'public' : 'viewer';
    if (config.mode === 'disabled') {
      // Without keys, a DNS-rebinding page could act as admin: only loopback Host names are served.
      if (!isLoopbackHost(req.headers.host)) throw new ApiError('FORBIDDEN', 'with authentication disabled only loopback Host names (localhost, 127.0.0.1, [::1]) are served');
      req.actor = ANONYMOUS;
      return;
    }
    if (needed === 'public') return;
    const credential = presentedCredential(req.headers);
    const token = credential ? null : cookieValue(req.headers.cookie, SESSION_COOKIE);
    if (!credential && !token) throw new ApiError('UNAUTHORIZED', 'this route needs an API key: send "Authorization: Bearer <key>"', undefined, { 'www-authenticate': 'Bearer' });
    let actor: Actor;
    if (token) {
      actor = await sessionActor(req, token);
      req.authVia = 'session';
    } else if (config.bootstrapAdminKey && sameSecret(credential!, config.bootstrapAdminKey)) {
      actor = BOOTSTRAP;
      req.authVia = 'header';
    } else {
      const v = await verifyOnce(req, store, credential!);
      if (!v.ok) {
        req.presentedKeyId = v.keyId;
        throw new ApiError('UNAUTHORIZED', REASONS[v.reason], undefined, { 'www-authenticate': 'Bearer error="invalid_token"' });
      }
      actor = v.actor;
      req.authVia = 'header';
    }
    req.actor = actor;
    if (!roleAtLeast(actor.role, needed)) {
      throw new ApiError('FORBIDDEN', `a ${actor.role} key may not ${req.method} ${route ?? req.url}; that needs ${needed}`);
    }
  });
}
