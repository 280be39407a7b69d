/** How the API authenticates (from the orchestrator's env; see README "Security"). */
export interface AuthConfig {
  /** `disabled` only for the local dev stack: every request acts as an admin, with a loud warning. */
  mode: 'required' | 'disabled';
  /** A key accepted as admin without being stored, for the first start (create real keys, then drop it). */
  bootstrapAdminKey?: string;
  /** `/metrics`: open, behind any valid key, or only on the internal metrics port. */
  metrics: 'open' | 'key' | 'internal';
  rateLimit: { max: number; windowMs: number };
  auditMaxLen: number;
  /** Unauthenticated denied requests audited one by one per client address and minute (default 20); the rest are summarised. */
  deniedAuditPerMinute?: number;
  /** Open server-sent event streams per actor and per process (defaults 10 and 500). */
  streams?: { perActor: number; total: number };
  corsOrigins: string[];
  /** Lifetime of a dashboard session (the cookie itself ends with the browser session). */
  sessionTtlMs: number;
  /**
   * Proxies whose X-Forwarded-For/-Proto are believed (Fastify `trustProxy`: comma-separated
   * addresses/CIDRs, `loopback`); none by default, so a client cannot claim https or another address.
   */
  trustProxy?: string;
}

export const DEFAULT_AUTH: AuthConfig = {
  mode: 'required',
  metrics: 'open',
  rateLimit: { max: 600, windowMs: 60_000 },
  auditMaxLen: 100_000,
  corsOrigins: [],
  sessionTtlMs: 12 * 3600 * 1000,
};
