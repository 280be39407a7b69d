import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ARTIFACT_MAX_BYTES, keys } from '@baton/contracts';
import type { EngineConfig } from '@baton/engine';
import { DEFAULT_AUTH, startOrchestrator, type AuthConfig, type Orchestrator } from '@baton/orchestrator';
import { FsArtifactStore, type RedisConfig, type RedisConnectionConfig } from '@baton/platform';
import { startAgent, type AgentDefinition, type AgentHandle, type AgentOptions } from '@baton/runtime';
import { testLogger } from './logger.js';

/** Engine timings that keep tests quick (production defaults are in engine/context.ts). */
export const FAST_ENGINE: Partial<EngineConfig> & { agentDeafAfterMs?: number } = {
  sweepIntervalMs: 200,
  reconcileIntervalMs: 300,
  repairGraceMs: 1000,
};

/** The artifact directory shared by a test's orchestrator and agents (one per namespace). */
export function artifactDirFor(namespace: string): string {
  return join(tmpdir(), `baton-artifacts-${namespace}`);
}

/** Where a test's processes connect: a URL, or a cluster / Sentinel connection config. */
export type TestRedisTarget = string | RedisConnectionConfig;

export function redisConfig(target: TestRedisTarget, namespace: string): RedisConfig {
  return typeof target === 'string' ? { url: target, namespace } : { ...target, namespace };
}

/** An orchestrator (engine + Fastify app, not listening) in the test process. */
export async function testOrchestrator(
  url: TestRedisTarget,
  namespace: string,
  engine: Partial<EngineConfig> & { agentDeafAfterMs?: number } = {},
  extra: { bodyLimit?: number; auth?: Partial<AuthConfig>; secrets?: Record<string, string>; scheduleReloadMs?: number; closeStepTimeoutMs?: number; notify?: { attempts: number; backoffMs: number; timeoutMs: number; lockMs?: number } } = {},
): Promise<Orchestrator> {
  const { auth, ...rest } = extra;
  return startOrchestrator({
    redis: redisConfig(url, namespace),
    log: testLogger('orchestrator'),
    engine: { ...FAST_ENGINE, ...engine },
    artifactDir: artifactDirFor(namespace),
    // Tests that are not about authentication run without it (explicitly, as the dev stack does).
    // Nor do they meet rate limits (tests poll hard); the tests about either pass their own settings.
    auth: { ...DEFAULT_AUTH, mode: 'disabled', rateLimit: { max: 1_000_000, windowMs: 60_000 }, ...auth },
    // A route answering an error code its OpenAPI documentation does not list fails the test (500).
    strictErrorDocs: true,
    ...rest,
  });
}

/** An agent runtime in the test process. */
export async function testAgent(
  def: AgentDefinition,
  url: TestRedisTarget,
  namespace: string,
  opts: Partial<Omit<AgentOptions, 'redis' | 'keys' | 'log'>> = {},
): Promise<AgentHandle> {
  return startAgent(def, {
    redis: redisConfig(url, namespace),
    keys: keys(namespace),
    log: testLogger(`agent-${def.type}`),
    // Stale after 1.5 s without a beat: tolerant of a loaded CI machine, still quick for liveness tests.
    heartbeatMs: 500,
    lockDurationMs: 4000,
    stalledIntervalMs: 1000,
    drainGraceMs: 5000,
    abortGraceMs: 500,
    // In-process agents share the test runner: their heartbeat thread must never kill it.
    wedgedExitLocks: 0,
    artifacts: { store: new FsArtifactStore(artifactDirFor(namespace)), maxBytes: DEFAULT_ARTIFACT_MAX_BYTES },
    ...opts,
  });
}
