import { BUILTIN_AGENT_TYPES } from '@baton/contracts';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import { describeError } from '../plugins/errors.js';
import type { Services } from '../services.js';

/** bull-board needs inline styles (its loading screen) and its own scripts; nothing else. */
const BOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'self'; form-action 'none'; frame-ancestors 'self'";

export const BULL_BOARD_PATHS = { readOnly: '/ui/bull', admin: '/ui/bull-admin' } as const;

/**
 * bull-board for job-level inspection, twice: read-only at /ui/bull (any role; its adapters refuse
 * every change) and full at /ui/bull-admin (admins only; the permission table also makes every
 * non-GET under /ui/bull admin-only). Its browser code sends no API key: it is authenticated by the
 * dashboard session cookie. Queues follow the agent types the registry knows.
 */
export async function registerBullBoards(app: FastifyInstance, services: Services): Promise<void> {
  const { engine } = services;
  for (const [kind, basePath] of Object.entries(BULL_BOARD_PATHS) as ['readOnly' | 'admin', string][]) {
    const readOnlyMode = kind === 'readOnly';
    const adapter = new FastifyAdapter();
    adapter.setBasePath(basePath);
    let current = new Set<string>(BUILTIN_AGENT_TYPES);
    const adapters = async (maxAgeMs?: number) => {
      // While Redis is unreachable the board keeps the types it knew (its own calls answer 503 meanwhile).
      current = await engine.registry.knownTypes(maxAgeMs).catch(() => current);
      return [...current].sort().map((type) => new BullMQAdapter(engine.ctx.queues.get(type), { readOnlyMode, description: `agent type ${type}` }));
    };
    const board = createBullBoard({
      queues: await adapters(),
      serverAdapter: adapter,
      // Redis version, port, memory and clients are for admins: the read-only board answers 403 for them.
      options: { uiConfig: { boardTitle: readOnlyMode ? 'Baton queues (read-only)' : 'Baton queues (admin)', hideRedisDetails: readOnlyMode } },
    });
    // Errors of our own hooks (401, 403, 429) reach bull-board's error handler: answer them in our envelope.
    // A 500's own message (Redis replies, stack details) goes to the log, never to the browser.
    adapter.setErrorHandler((err: Error) => {
      const d = describeError(err);
      if (d.status >= 500) app.log.error({ err: err.message, board: basePath }, 'bull-board request failed');
      return { status: d.status as 500, body: { error: { code: d.code, message: d.status >= 500 && d.code === 'INTERNAL' ? 'Internal error' : d.message } } };
    });
    let synced = Date.now();
    await app.register(
      async (scope) => {
        // New agent types appear within 5 s, or at once when a request names one.
        scope.addHook('onRequest', async (req) => {
          const named = (req.params as { queueName?: string } | undefined)?.queueName;
          const unknown = named !== undefined && !current.has(named);
          if (!unknown && Date.now() - synced < 5000) return;
          synced = Date.now();
          board.replaceQueues(await adapters(unknown ? 0 : undefined));
        });
        scope.addHook('onSend', async (_req, reply) => {
          void reply.header('content-security-policy', BOARD_CSP);
        });
        await scope.register(adapter.registerPlugin());
      },
      { prefix: basePath },
    );
  }
}
