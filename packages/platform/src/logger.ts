import { pino, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

/** Paths pino masks in every log line, whatever the process. */
export const DEFAULT_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.password',
  '*.apiKey',
  '*.token',
  '*.secret',
  'password',
  'apiKey',
  'token',
  'secret',
];

export interface LoggerConfig {
  name: string;
  level: string;
  pretty: boolean;
  /** Extra paths to redact (from BATON_LOG_REDACT, comma-separated). */
  redact?: string[];
  base?: Record<string, unknown>;
}

/** The one pino root of a process. Everything else logs through `.child()`. `destination` is for tests. */
export function createLogger(config: LoggerConfig, destination?: NodeJS.WritableStream): Logger {
  const options: LoggerOptions = {
    name: config.name,
    level: config.level,
    base: { pid: process.pid, ...config.base },
    redact: { paths: [...DEFAULT_REDACT_PATHS, ...(config.redact ?? [])], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (destination) return pino(options, destination);
  if (config.pretty) {
    return pino(options, pretty({ colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino(options);
}
