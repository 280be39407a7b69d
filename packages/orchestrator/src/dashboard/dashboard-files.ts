import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface DashboardFiles {
  /** index.html, styles. */
  publicDir: string;
  /** The compiled browser modules (tsc output of packages/dashboard). */
  scriptDir: string;
  /** False when the dashboard package was not built (`npx tsc -b` builds it). */
  built: boolean;
}

/** Where the @baton/dashboard package's files are (a workspace dependency, also in `pnpm deploy`). */
export function dashboardFiles(): DashboardFiles {
  const root = dirname(createRequire(import.meta.url).resolve('@baton/dashboard/package.json'));
  const scriptDir = join(root, 'dist', 'ui');
  return { publicDir: join(root, 'public'), scriptDir, built: existsSync(join(scriptDir, 'main.js')) };
}
