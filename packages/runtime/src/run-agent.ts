import { keys } from '@baton/contracts';
import { join, resolve } from 'node:path';
import { bootProcess, ConfigError, errorMessage, EXIT_CONFIG, FsArtifactStore, redisConfigFromEnv } from '@baton/platform';
import { EXIT_STOP_TIMEOUT, startAgent, type AgentHandle } from './agent.js';
import type { AgentDefinition } from './define-agent.js';
import { AgentEnv } from './env.js';

/**
 * The whole life of an agent process: configuration from the environment, start, readiness signal
 * to PM2, graceful shutdown on SIGTERM/SIGINT (a second signal exits at once), exit code on stop.
 * An agent's main.ts is one call: `runAgent(myAgent)`.
 */
export async function runAgent(def: AgentDefinition): Promise<void> {
  const { env, log } = bootProcess(`agent-${def.type}`, AgentEnv);

  let agent: AgentHandle;
  try {
    const redis = redisConfigFromEnv(env);
    agent = await startAgent(def, {
      redis,
      keys: keys(redis.namespace),
      log,
      ...(env.BATON_AGENT_ID ? { agentId: env.BATON_AGENT_ID } : {}),
      ...(env.BATON_AGENT_CONCURRENCY ? { concurrency: env.BATON_AGENT_CONCURRENCY } : {}),
      heartbeatMs: env.BATON_HEARTBEAT_MS,
      drainGraceMs: env.BATON_DRAIN_GRACE_MS,
      abortGraceMs: env.BATON_ABORT_GRACE_MS,
      lockDurationMs: env.BATON_LOCK_DURATION_MS,
      stalledIntervalMs: env.BATON_STALLED_INTERVAL_MS,
      maxStalled: env.BATON_MAX_STALLED,
      watchdogMs: env.BATON_WORKER_WATCHDOG_MS,
      wedgedExitLocks: env.BATON_WEDGED_EXIT_LOCKS,
      abandonedExitMs: env.BATON_ABANDONED_EXIT_MS,
      ...(env.BATON_METRICS_PORT ? { metricsPort: env.BATON_METRICS_PORT, metricsHost: env.BATON_METRICS_HOST } : {}),
      artifacts: { store: new FsArtifactStore(resolve(env.BATON_ARTIFACT_DIR ?? join(env.BATON_DATA_DIR, 'artifacts'))), maxBytes: env.BATON_ARTIFACT_MAX_BYTES },
    });
  } catch (e: unknown) {
    log.fatal({ err: errorMessage(e) }, 'agent failed to start');
    if (e instanceof ConfigError) process.stderr.write(`${e.message}\n`);
    process.exit(e instanceof ConfigError ? EXIT_CONFIG : 1);
  }

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    log.info({ signal }, 'signal received');
    // However the stop goes (Redis down, a step stuck), the process is gone within the bound.
    const boundMs = env.BATON_STOP_TIMEOUT_MS ?? env.BATON_DRAIN_GRACE_MS + env.BATON_ABORT_GRACE_MS + 30_000;
    setTimeout(() => {
      log.error({ boundMs, exitCode: EXIT_STOP_TIMEOUT }, 'agent stop did not finish within its bound: exiting');
      process.exit(EXIT_STOP_TIMEOUT);
    }, boundMs).unref();
    void agent.stop('shutdown');
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  process.send?.('ready'); // PM2 wait_ready
  const reason = await agent.stopped;
  process.exit(reason.exitCode);
}
