import { defineConfig } from 'vitest/config';
import base from './vitest.config.mts';

// The slower suite: real projects installing real runners and package managers from the npm
// registry (`npx -y pnpm@10 test:matrix`; .ci/run runs it after the main suite).
export default defineConfig({
  ...base,
  test: { ...base.test, include: ['packages/**/test/**/*.matrix.test.ts'], exclude: ['**/node_modules/**', '**/dist/**'], testTimeout: 600_000, hookTimeout: 1_800_000 },
});
