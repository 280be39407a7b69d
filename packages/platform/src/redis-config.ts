import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Redis connection settings shared by every Baton process (see README "Configuration"). */
export const RedisEnv = z.object({
  REDIS_URL: z.string().url().optional(),
  REDIS_USERNAME: z.string().optional(),
  REDIS_PASSWORD: z.string().optional(),
  /** `true` to use TLS even with a `redis://` URL (`rediss://` always does). */
  REDIS_TLS: z.enum(['true', 'false']).optional(),
  REDIS_TLS_CA_FILE: z.string().optional(),
  REDIS_TLS_REJECT_UNAUTHORIZED: z.enum(['true', 'false']).default('true'),
  BATON_NAMESPACE: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/).default('baton'),
});
export type RedisEnv = z.infer<typeof RedisEnv>;

export interface RedisConfig {
  url: string;
  username?: string;
  password?: string;
  tls?: { ca?: string; rejectUnauthorized: boolean };
  namespace: string;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export function redisConfigFromEnv(env: RedisEnv): RedisConfig {
  const url = env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const useTls = env.REDIS_TLS === 'true' || url.startsWith('rediss://');
  return {
    url,
    ...(env.REDIS_USERNAME ? { username: env.REDIS_USERNAME } : {}),
    ...(env.REDIS_PASSWORD ? { password: env.REDIS_PASSWORD } : {}),
    ...(useTls
      ? {
          tls: {
            ...(env.REDIS_TLS_CA_FILE ? { ca: readFileSync(env.REDIS_TLS_CA_FILE, 'utf8') } : {}),
            rejectUnauthorized: env.REDIS_TLS_REJECT_UNAUTHORIZED === 'true',
          },
        }
      : {}),
    namespace: env.BATON_NAMESPACE,
  };
}

/** The URL with any password masked, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}
