import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { dashboardFiles } from './dashboard-files.js';

/**
 * The dashboard's pages load only their own scripts and styles and talk only to this origin; the
 * one inline script, the import map that names @baton/client, is allowed by its hash.
 */
export function dashboardCsp(importMapHash: string | null): string {
  return `default-src 'none'; script-src 'self'${importMapHash ? ` ${importMapHash}` : ''}; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

/** Serves the dashboard SPA under /ui/ (index.html for every page route, modules under /ui/js/). */
export async function registerDashboard(app: FastifyInstance): Promise<void> {
  const files = dashboardFiles();
  if (!files.built) app.log.warn({ dir: files.scriptDir }, 'the dashboard is not built (run `npx tsc -b`); /ui/ will say so');

  const csp = dashboardCsp(files.importMapHash);
  await app.register(async (ui) => {
    ui.addHook('onSend', async (_req, reply) => {
      void reply.header('content-security-policy', csp);
      void reply.header('cache-control', 'no-cache');
    });
    await ui.register(fastifyStatic, { root: files.publicDir, prefix: '/ui/', index: false, wildcard: false, serve: true });
    await ui.register(fastifyStatic, {
      root: files.scriptDir,
      prefix: '/ui/js/',
      decorateReply: false,
      // Modules and their source maps only (not declaration files or build info).
      allowedPath: (path) => /\.(js|js\.map)$/.test(path),
    });
    await ui.register(fastifyStatic, {
      root: files.clientDir,
      prefix: '/ui/js/client/',
      decorateReply: false,
      allowedPath: (path) => /\.(js|js\.map)$/.test(path),
    });
    // The chart library the overview page draws with: its ES module and stylesheet only.
    await ui.register(fastifyStatic, {
      root: files.uplotDir,
      prefix: '/ui/vendor/uplot/',
      decorateReply: false,
      allowedPath: (path) => /uPlot\.(esm\.js|min\.css)$/.test(path),
    });
    // Page routes are the SPA's (history API): every /ui/... path that is not a file gets index.html.
    ui.get('/ui/', { schema: { hide: true } }, async (_req, reply) => reply.sendFile('index.html'));
    ui.get('/ui/*', { schema: { hide: true } }, async (_req, reply) => reply.sendFile('index.html'));
  });
  app.get('/ui', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/ui/'));
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/ui/'));
}
