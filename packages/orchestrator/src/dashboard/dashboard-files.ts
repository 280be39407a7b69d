import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface DashboardFiles {
  /** index.html, styles. */
  publicDir: string;
  /** The compiled browser modules (tsc output of packages/dashboard). */
  scriptDir: string;
  /** The compiled @baton/client modules the dashboard imports (served under /ui/js/client/). */
  clientDir: string;
  /** uPlot's distribution (a pinned dependency of the dashboard), served under /ui/vendor/uplot/. */
  uplotDir: string;
  /** False when the dashboard package was not built (`npx tsc -b` builds it). */
  built: boolean;
  /** CSP source for the page's inline import map (`'sha256-…'`), or null when the page has none. */
  importMapHash: string | null;
}

/**
 * Where the @baton/dashboard package's files are (a workspace dependency, also in `pnpm deploy`),
 * and those of @baton/client, a dependency of the dashboard that the browser loads as is.
 */
export function dashboardFiles(): DashboardFiles {
  const pkg = createRequire(import.meta.url).resolve('@baton/dashboard/package.json');
  const root = dirname(pkg);
  const clientRoot = dirname(createRequire(pkg).resolve('@baton/client/package.json'));
  const uplotDir = join(dirname(createRequire(pkg).resolve('uplot/package.json')), 'dist');
  const scriptDir = join(root, 'dist', 'ui');
  const publicDir = join(root, 'public');
  const html = readFileSync(join(publicDir, 'index.html'), 'utf8');
  const map = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1];
  return {
    publicDir,
    scriptDir,
    clientDir: join(clientRoot, 'dist'),
    uplotDir,
    built: existsSync(join(scriptDir, 'main.js')) && existsSync(join(clientRoot, 'dist', 'index.js')),
    importMapHash: map === undefined ? null : `'sha256-${createHash('sha256').update(map).digest('base64')}'`,
  };
}
