import { roleAtLeast, type Actor } from '@baton/contracts';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../plugins/errors.js';
import { presentedCredential, sameSecret } from './api-key.js';
import type { AuthConfig } from './auth-config.js';
import type { KeyStore } from './key-store.js';
import { requirementFor } from './permissions.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request (null before authentication, or on public routes). */
    actor: Actor | null;
    /** The key id a request presented when authentication failed (for the audit log). */
    presentedKeyId: string | null;
  }
}

const ANONYMOUS: Actor = { keyId: null, name: 'anonymous (auth disabled)', role: 'admin' };
const BOOTSTRAP: Actor = { keyId: null, name: 'bootstrap admin', role: 'admin' };

const REASONS = {
  malformed: 'the API key is malformed',
  unknown: 'the API key is not valid',
  revoked: 'the API key was revoked',
  expired: 'the API key has expired',
} as const;

/** Resolves the caller of every request and enforces the permission table (401, then 403). */
export function registerAuthentication(app: FastifyInstance, config: AuthConfig, store: KeyStore): void {
  app.decorateRequest('actor', null);
  app.decorateRequest('presentedKeyId', null);
  if (config.mode === 'disabled') {
    app.log.warn(
      'AUTHENTICATION IS DISABLED (BATON_AUTH=disabled): anyone who can reach this port can submit, cancel and operate runs. Use only for the local dev stack.',
    );
  } else if (!config.bootstrapAdminKey) {
    app.log.info('authentication required; create keys with an admin key (BATON_BOOTSTRAP_ADMIN_KEY for the first one)');
  }

  app.addHook('onRequest', async (req) => {
    const route = req.routeOptions.url;
    let needed = requirementFor(req.method, route);
    if (route === '/metrics') needed = config.metrics === 'open' ? 'public' : 'viewer';
    if (config.mode === 'disabled') {
      req.actor = ANONYMOUS;
      return;
    }
    if (needed === 'public') return;
    const credential = presentedCredential(req.headers);
    if (!credential) throw new ApiError('UNAUTHORIZED', 'this route needs an API key: send "Authorization: Bearer <key>"', undefined, { 'www-authenticate': 'Bearer' });
    let actor: Actor;
    if (config.bootstrapAdminKey && sameSecret(credential, config.bootstrapAdminKey)) {
      actor = BOOTSTRAP;
    } else {
      const v = await store.verify(credential);
      if (!v.ok) {
        req.presentedKeyId = v.keyId;
        throw new ApiError('UNAUTHORIZED', REASONS[v.reason], undefined, { 'www-authenticate': 'Bearer error="invalid_token"' });
      }
      actor = v.actor;
    }
    req.actor = actor;
    if (!roleAtLeast(actor.role, needed)) {
      throw new ApiError('FORBIDDEN', `a ${actor.role} key may not ${req.method} ${route ?? req.url}; that needs ${needed}`);
    }
  });
}
