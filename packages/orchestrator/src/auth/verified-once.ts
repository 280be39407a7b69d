import type { FastifyRequest } from 'fastify';
import type { KeyStore, Verification } from './key-store.js';
import type { SessionRecord, SessionStore } from './session-store.js';

/**
 * One key or session lookup per request, shared by the rate limiter (which buckets on the verified
 * key) and authentication (which runs after it): no second Redis round trip.
 */
const keys = new WeakMap<FastifyRequest, Promise<Verification>>();
const sessionsSeen = new WeakMap<FastifyRequest, Promise<SessionRecord | null>>();

export function verifyOnce(req: FastifyRequest, store: KeyStore, credential: string): Promise<Verification> {
  let v = keys.get(req);
  if (!v) keys.set(req, (v = store.verify(credential)));
  return v;
}

export function sessionOnce(req: FastifyRequest, sessions: SessionStore, token: string): Promise<SessionRecord | null> {
  let s = sessionsSeen.get(req);
  if (!s) sessionsSeen.set(req, (s = sessions.get(token)));
  return s;
}
