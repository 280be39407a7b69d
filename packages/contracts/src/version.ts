/** Version of this Baton build (reported by agents in heartbeats and results). */
export const BATON_VERSION = '0.1.0';

/** How long an agent's registry record outlives its last heartbeat. */
export const AGENT_RECORD_TTL_MS = 3600_000;
