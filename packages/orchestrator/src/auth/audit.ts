import { AuditEntry, type JsonValue, type Keys } from '@baton/contracts';
import { errorMessage, RedisBatcher, type RedisClient } from '@baton/platform';
import type { FastifyInstance } from 'fastify';
import { DeniedAuditThrottle } from './denied-audit.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a route to say what it did in its audit entry (e.g. a bulk action's filter and counts). */
    auditDetail: Record<string, JsonValue> | null;
  }
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const DENIED = new Set([401, 403, 429]);

function outcomeOf(status: number): AuditEntry['outcome'] {
  if (DENIED.has(status)) return 'denied';
  if (status >= 500) return 'error';
  if (status >= 400) return 'rejected';
  return 'ok';
}

/**
 * Appends every mutating request and every denied one to a capped Redis stream (the audit log).
 * Entries of responses that finish in the same event-loop turn are sent together, in one pipeline:
 * one socket write instead of one per request under load.
 */
export function registerAuditLog(app: FastifyInstance, redis: RedisClient, keys: Keys, maxLen: number, deniedPerMinute?: number): void {
  const writes = new RedisBatcher<Omit<AuditEntry, 'id'>, void>(
    redis,
    (pipe, entry) => pipe.xadd(keys.audit(), 'MAXLEN', '~', maxLen, '*', 'entry', JSON.stringify(entry)),
    () => undefined,
    (flush) => setImmediate(flush),
  );

  const write = (entry: Omit<AuditEntry, 'id'>) => {
    writes.call(entry).catch((err: unknown) => app.log.error({ err: errorMessage(err), audit: entry }, 'could not write the audit log'));
  };
  // Unauthenticated denied requests are summarised past a per-address budget (auth/denied-audit.ts).
  const denied = new DeniedAuditThrottle(write, deniedPerMinute);
  app.decorateRequest('auditDetail', null);

  app.addHook('onResponse', (req, reply, done) => {
    if (READ_METHODS.has(req.method) && !DENIED.has(reply.statusCode)) return done();
    const entry: Omit<AuditEntry, 'id'> = {
      at: new Date().toISOString(),
      requestId: req.id,
      method: req.method,
      route: req.routeOptions.url ?? '(unmatched)',
      path: req.url.split('?')[0]!.slice(0, 500),
      status: reply.statusCode,
      outcome: outcomeOf(reply.statusCode),
      actor: req.actor,
      presentedKeyId: req.presentedKeyId,
      ip: req.ip,
      ...(req.auditDetail ? { detail: req.auditDetail } : {}),
    };
    if (entry.outcome === 'denied' && entry.actor === null) denied.offer(entry);
    else write(entry);
    done();
  });
  // Entries of the last responses are written before the connection is closed.
  app.addHook('onClose', async () => {
    denied.close();
    await new Promise<void>((resolve) => setImmediate(resolve));
    await writes.idle();
  });
}

/** Newest first; `cursor` is the id of the last entry of the previous page. */
export async function readAudit(redis: RedisClient, keys: Keys, limit: number, cursor?: string): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
  const rows = await redis.xrevrange(keys.audit(), cursor ? `(${cursor}` : '+', '-', 'COUNT', limit);
  const items = rows.map(([id, fields]) => AuditEntry.parse({ id, ...(JSON.parse(fields[1] ?? '{}') as object) }));
  return { items, nextCursor: items.length === limit ? items.at(-1)!.id : null };
}
