import type { z } from 'zod';
import { ConfigError, parseEnv } from './env.js';
import { errorMessage } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { logConfigFromEnv, type LogEnv } from './log-env.js';

/** Exit code for invalid configuration (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;

/**
 * The start of every Baton process: parse the environment (exit 78 listing every problem), create
 * the process's one logger, and log-and-exit on an uncaught exception so the supervisor restarts it.
 */
export function bootProcess<S extends z.ZodType<LogEnv>>(name: string, schema: S): { env: z.infer<S>; log: Logger } {
  let env: z.infer<S>;
  try {
    env = parseEnv(schema);
  } catch (e: unknown) {
    process.stderr.write(`${e instanceof ConfigError ? e.message : errorMessage(e)}\n`);
    process.exit(EXIT_CONFIG);
  }
  const log = createLogger(logConfigFromEnv(name, env));
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception; exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled promise rejection'));
  return { env, log };
}
