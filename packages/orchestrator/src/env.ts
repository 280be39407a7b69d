import { secretScopesFromEnv, SecretScopeConfigError, type SecretScopes } from '@baton/contracts';
import { ConfigError, LogEnv, RedisEnv } from '@baton/platform';
import type { AuthConfig } from './auth/auth-config.js';
import { z } from 'zod';

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

/** Orchestrator configuration, parsed once at start-up (see README "Configuration"). */
export const OrchestratorEnv = RedisEnv.extend(LogEnv.shape).extend({
  BATON_HOST: z.string().default('0.0.0.0'),
  BATON_PORT: int(3000, 0),
  /** Largest accepted request body, in bytes. */
  BATON_BODY_LIMIT: int(1024 * 1024, 1024),
  BATON_RUN_RETENTION_HOURS: int(168, 1),
  BATON_RUN_RETENTION_COUNT: int(10_000, 1),
  BATON_JOB_RETENTION_HOURS: int(168, 1),
  BATON_EVENTS_MAX_LEN: int(2000, 100),
  BATON_IDEMPOTENCY_TTL_HOURS: int(24, 1),
  BATON_SWEEP_INTERVAL_MS: int(1000, 50),
  BATON_RECONCILE_INTERVAL_MS: int(5000, 100),
  BATON_REPAIR_GRACE_MS: int(5000, 0),
  BATON_AGENT_DEAF_AFTER_MS: int(30_000, 100),
  BATON_ACCEPT_REPLICAS: int(0, 0),
  BATON_ACCEPT_REPLICAS_TIMEOUT_MS: int(1000, 10),
  /** Acknowledge a run only after Redis fsynced it to its AOF (WAITAOF; needs Redis >= 7.2, refused at start-up otherwise). */
  BATON_ACCEPT_FSYNC: z.enum(['true', 'false']).default('false'),
  /** Data directory; artifacts are read from <dir>/artifacts unless BATON_ARTIFACT_DIR says otherwise. */
  BATON_DATA_DIR: z.string().default('.baton/data'),
  BATON_ARTIFACT_DIR: z.string().optional(),
  /** When set, each process serves its own metrics on this port + NODE_APP_INSTANCE (PM2 cluster). */
  BATON_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** p95 execution-time targets per agent type, e.g. "validation=600,e2e=300" (seconds), for alerts. */
  BATON_STAGE_P95_TARGETS: z
    .string()
    .regex(/^([a-z][a-z0-9-]*=\d+(\.\d+)?)?(,[a-z][a-z0-9-]*=\d+(\.\d+)?)*$/, 'comma-separated type=seconds')
    .default(''),
  /** `disabled` only for the local dev stack (every request acts as admin; a loud warning is logged). */
  BATON_AUTH: z.enum(['required', 'disabled']).default('required'),
  /** Accepted as an admin key without being stored: for the first start, to create real keys. */
  BATON_BOOTSTRAP_ADMIN_KEY: z.string().min(24, 'use at least 24 random characters').optional(),
  /** /metrics: open, behind any valid key, or only on the internal BATON_METRICS_PORT. */
  BATON_METRICS_AUTH: z.enum(['open', 'key', 'internal']).default('open'),
  BATON_RATE_LIMIT_MAX: int(600, 1),
  BATON_RATE_LIMIT_WINDOW_MS: int(60_000, 1000),
  BATON_AUDIT_MAX_LEN: int(100_000, 100),
  /** Unauthenticated denied requests audited one by one per client address and minute; the rest are summarised. */
  BATON_AUDIT_DENIED_PER_MINUTE: int(20, 1),
  /** Open server-sent event streams per actor (key, or client address without auth) and per process. */
  BATON_SSE_MAX_PER_ACTOR: int(10, 1),
  BATON_SSE_MAX: int(500, 1),
  /** Reverse proxies whose X-Forwarded-Proto/-For are trusted: comma-separated addresses/CIDRs (or `loopback`). */
  BATON_TRUST_PROXY: z.string().regex(/^[\w.:/,\s-]*$/, 'addresses, CIDRs or loopback').default(''),
  /** Comma-separated origins allowed to call the API from a browser (none by default). */
  BATON_CORS_ORIGINS: z.string().default(''),
  /** How long a dashboard session lasts at most (it also ends when the browser closes). */
  BATON_SESSION_TTL_HOURS: int(12, 1),
  /** Register the built-in pipelines at start-up. */
  BATON_BUILTIN_PIPELINES: z.enum(['true', 'false']).default('true'),
  /** Largest job envelope (a stage's resolved input + upstream outputs), bytes: see README "Limits". */
  BATON_MAX_STAGE_INPUT_BYTES: int(1024 * 1024, 1024),
  /** All stages' resolved inputs of one run together (as far as known at submit), bytes. */
  BATON_MAX_RUN_INPUT_BYTES: int(8 * 1024 * 1024, 1024),
  /** Active runs per API key (0: no cap); past it `429 TOO_MANY_ACTIVE_RUNS`. */
  BATON_MAX_ACTIVE_RUNS_PER_KEY: int(100, 0),
  /** Refuse to start unless Redis has maxmemory-policy noeviction (production). */
  BATON_REQUIRE_NOEVICTION: z.enum(['true', 'false']).default('false'),
  /** Notification deliveries: attempts before a delivery is dead-lettered, and the first retry delay (doubling). */
  /** How often each orchestrator re-reads the schedule definitions (ticks themselves are timers, not polls). */
  BATON_SCHEDULE_RELOAD_MS: int(5000, 100),
  BATON_NOTIFY_ATTEMPTS: int(8, 1),
  BATON_NOTIFY_BACKOFF_MS: int(1000, 10),
  /** How long a notification receiver may take to answer. */
  BATON_NOTIFY_TIMEOUT_MS: int(10_000, 100),
  /** Lock of a delivery in progress: a dead orchestrator's delivery is retried by another after it lapses. */
  BATON_NOTIFY_LOCK_MS: int(30_000, 1000),
});
export type OrchestratorEnv = z.infer<typeof OrchestratorEnv>;

export function engineConfigFromEnv(env: OrchestratorEnv) {
  const hour = 3600 * 1000;
  return {
    eventsMaxLen: env.BATON_EVENTS_MAX_LEN,
    jobRetentionSeconds: env.BATON_JOB_RETENTION_HOURS * 3600,
    sweepIntervalMs: env.BATON_SWEEP_INTERVAL_MS,
    reconcileIntervalMs: env.BATON_RECONCILE_INTERVAL_MS,
    repairGraceMs: env.BATON_REPAIR_GRACE_MS,
    runRetentionMs: env.BATON_RUN_RETENTION_HOURS * hour,
    runRetentionCount: env.BATON_RUN_RETENTION_COUNT,
    idempotencyTtlMs: env.BATON_IDEMPOTENCY_TTL_HOURS * hour,
    agentDeafAfterMs: env.BATON_AGENT_DEAF_AFTER_MS,
    acceptReplicas: env.BATON_ACCEPT_REPLICAS,
    acceptReplicasTimeoutMs: env.BATON_ACCEPT_REPLICAS_TIMEOUT_MS,
    acceptFsync: env.BATON_ACCEPT_FSYNC === 'true',
    maxStageInputBytes: env.BATON_MAX_STAGE_INPUT_BYTES,
    maxRunInputBytes: env.BATON_MAX_RUN_INPUT_BYTES,
    maxActiveRunsPerKey: env.BATON_MAX_ACTIVE_RUNS_PER_KEY,
  };
}

/** The BATON_SECRET_*_SCOPE declarations (the orchestrator never holds the secrets themselves). */
export function secretScopesFromProcessEnv(raw: Readonly<Record<string, string | undefined>> = process.env): SecretScopes {
  try {
    return secretScopesFromEnv(raw);
  } catch (e: unknown) {
    if (e instanceof SecretScopeConfigError) throw new ConfigError(e.problems);
    throw e;
  }
}

export function authConfigFromEnv(env: OrchestratorEnv): AuthConfig {
  if (env.BATON_METRICS_AUTH === 'internal' && !env.BATON_METRICS_PORT) {
    throw new ConfigError(['BATON_METRICS_AUTH=internal needs BATON_METRICS_PORT (the internal port that serves /metrics)']);
  }
  return {
    mode: env.BATON_AUTH,
    ...(env.BATON_BOOTSTRAP_ADMIN_KEY ? { bootstrapAdminKey: env.BATON_BOOTSTRAP_ADMIN_KEY } : {}),
    metrics: env.BATON_METRICS_AUTH,
    rateLimit: { max: env.BATON_RATE_LIMIT_MAX, windowMs: env.BATON_RATE_LIMIT_WINDOW_MS },
    auditMaxLen: env.BATON_AUDIT_MAX_LEN,
    deniedAuditPerMinute: env.BATON_AUDIT_DENIED_PER_MINUTE,
    streams: { perActor: env.BATON_SSE_MAX_PER_ACTOR, total: env.BATON_SSE_MAX },
    corsOrigins: env.BATON_CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean),
    sessionTtlMs: env.BATON_SESSION_TTL_HOURS * 3600 * 1000,
    ...(env.BATON_TRUST_PROXY.trim() ? { trustProxy: env.BATON_TRUST_PROXY.trim() } : {}),
  };
}

export function stageTargetsFromEnv(env: OrchestratorEnv): Record<string, number> {
  return Object.fromEntries(
    env.BATON_STAGE_P95_TARGETS.split(',')
      .filter(Boolean)
      .map((kv) => kv.split('='))
      .map(([k, v]) => [k!, Number(v)]),
  );
}

/**
 * The BATON_SECRET_* variables (webhook trigger and notification secrets are stored as references
 * to them; Redis never holds the values). Read from the raw environment: they are not in the schema.
 */
export function secretsFromEnv(raw: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  // `BATON_SECRET_<NAME>_SCOPE` declares where an agent may send a secret (contracts/secret-scopes.ts); it is not a secret itself.
  for (const [k, v] of Object.entries(raw)) if (/^BATON_SECRET_[A-Z0-9_]{1,64}$/.test(k) && !k.endsWith('_SCOPE') && v) out[k] = v;
  return out;
}

export function notifyConfigFromEnv(env: OrchestratorEnv) {
  return { attempts: env.BATON_NOTIFY_ATTEMPTS, backoffMs: env.BATON_NOTIFY_BACKOFF_MS, timeoutMs: env.BATON_NOTIFY_TIMEOUT_MS, lockMs: env.BATON_NOTIFY_LOCK_MS };
}
