import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources under test (the "@baton/source" export
// condition); child processes started by tests run the compiled dist/ that `pnpm test` builds first.
// Vite's own SSR conditions are kept after ours: replacing them breaks CommonJS dependencies that
// require() dual (CommonJS + ESM) packages.
const conditions = ['@baton/source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['packages/**/test/**/*.test.ts'],
    // *.matrix.test.ts: the slower suite (vitest.matrix.config.mts, `test:matrix`).
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.matrix.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
