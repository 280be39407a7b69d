import { z } from 'zod';

export const LogEnv = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: z.enum(['true', 'false']).default('false'),
  BATON_LOG_REDACT: z.string().default(''),
});
export type LogEnv = z.infer<typeof LogEnv>;

export function logConfigFromEnv(name: string, env: LogEnv): { name: string; level: string; pretty: boolean; redact: string[] } {
  return {
    name,
    level: env.LOG_LEVEL,
    pretty: env.LOG_PRETTY === 'true',
    redact: env.BATON_LOG_REDACT.split(',').map((s) => s.trim()).filter(Boolean),
  };
}
