import { createLogger, type Logger } from '@baton/platform';

/** Silent unless TEST_LOG_LEVEL is set (e.g. TEST_LOG_LEVEL=debug pnpm test). */
export function testLogger(name = 'test'): Logger {
  return createLogger({ name, level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: Boolean(process.env.TEST_LOG_LEVEL) });
}
