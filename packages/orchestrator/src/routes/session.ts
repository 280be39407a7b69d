import { SessionCreated, Whoami, type Actor } from '@baton/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import type { AuthConfig } from '../auth/auth-config.js';
import { allowedRoutes } from '../auth/permissions.js';
import { bootstrapSessionHash, cookieValue, SESSION_COOKIE, type SessionStore } from '../auth/session-store.js';
import { presentedCredential } from '../auth/api-key.js';
import { ApiError } from '../plugins/errors.js';
import { NoContent } from '../openapi/components.js';
import { NoQuery } from './no-query.js';

const tags = ['security'];

function whoami(req: FastifyRequest, config: AuthConfig): Whoami {
  const actor = req.actor as Actor;
  return { name: actor.name, role: actor.role, keyId: actor.keyId, auth: config.mode, via: config.mode === 'disabled' ? 'none' : req.authVia, allowed: allowedRoutes(actor.role) };
}

/**
 * Who am I (for the dashboard's buttons), and dashboard sessions: the browser sends its key once,
 * in the Authorization header, and gets an HttpOnly SameSite=Strict cookie; the key is not kept.
 */
export function sessionRoutes(config: AuthConfig, sessions: SessionStore): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/v1/whoami', { schema: { operationId: 'whoami', tags, summary: 'The caller: name, role, and the routes it may call', querystring: NoQuery, response: { 200: Whoami }, errors: [] } }, async (req) =>
      whoami(req, config),
    );

    app.post(
      '/v1/session',
      {
        bodyLimit: 1024,
        schema: {
          operationId: 'createSession',
          tags,
          summary: 'Trade the API key in the Authorization header for a dashboard session cookie',
          description: 'Send no body. The answer sets the `baton_session` cookie (HttpOnly, SameSite=Strict, no Max-Age); the key itself is not kept.',
          response: { 201: SessionCreated },
          errors: [],
        },
      },
      async (req, reply) => {
        if (req.body !== undefined || Number(req.headers['content-length'] ?? 0) > 0) throw new ApiError('INVALID_REQUEST', 'send no body: the API key goes in the Authorization header');
        if (config.mode === 'disabled') return reply.code(201).send({ ...whoami(req, config), expiresAt: new Date(Date.now() + sessions.ttlMs).toISOString() });
        if (req.authVia !== 'header') throw new ApiError('INVALID_REQUEST', 'send the API key in the Authorization header to open a session');
        const actor = req.actor as Actor;
        const credential = presentedCredential(req.headers)!;
        const { token, record } = await sessions.create(actor.keyId, actor.keyId === null ? bootstrapSessionHash(credential) : null);
        const secure = req.protocol === 'https' ? '; Secure' : '';
        void reply.header('set-cookie', `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict${secure}`);
        req.log.info({ keyId: actor.keyId, role: actor.role }, 'dashboard session opened');
        return reply.code(201).send({ ...whoami(req, config), expiresAt: record.expiresAt });
      },
    );

    app.delete('/v1/session', { schema: { operationId: 'deleteSession', tags, summary: 'End the dashboard session (clears the cookie)', response: { 204: NoContent }, errors: [] } }, async (req, reply) => {
      const token = cookieValue(req.headers.cookie, SESSION_COOKIE);
      if (token) await sessions.delete(token);
      return reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`).code(204).send();
    });
  };
}
