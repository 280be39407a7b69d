import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
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
    const adapters = async () =>
      [...(await engine.registry.knownTypes())].sort().map((type) => new BullMQAdapter(engine.ctx.queues.get(type), { readOnlyMode, description: `agent type ${type}` }));
    const board = createBullBoard({
      queues: await adapters(),
      serverAdapter: adapter,
      options: { uiConfig: { boardTitle: readOnlyMode ? 'Baton queues (read-only)' : 'Baton queues (admin)', hideRedisDetails: false } },
    });
    let synced = Date.now();
    await app.register(
      async (scope) => {
        scope.addHook('onRequest', async () => {
          if (Date.now() - synced < 5000) return;
          synced = Date.now();
          board.replaceQueues(await adapters());
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
