#!/usr/bin/env node
import { join, resolve } from 'node:path';
import { bootProcess, checkEvictionPolicy, createRedis, describeRedisTarget, errorMessage, EXIT_CONFIG, redisConfigFromEnv } from '@baton/platform';
import { authConfigFromEnv, engineConfigFromEnv, notifyConfigFromEnv, OrchestratorEnv, secretScopesFromProcessEnv, secretsFromEnv, stageTargetsFromEnv } from './env.js';
import { startOrchestrator } from './orchestrator.js';

const { env, log } = bootProcess('orchestrator', OrchestratorEnv);
/** Configuration read beyond the schema (files, combinations): any failure exits 78 with its reason. */
function configOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (e: unknown) {
    process.stderr.write(`${errorMessage(e)}\n`);
    process.exit(EXIT_CONFIG);
  }
}

const redisConfig = configOrExit(() => redisConfigFromEnv(env));
log.info({ redis: describeRedisTarget(redisConfig), namespace: redisConfig.namespace }, 'orchestrator starting');

if (env.BATON_REQUIRE_NOEVICTION === 'true') {
  const probe = createRedis(redisConfig, 'blocking', 'baton-orchestrator-probe', log);
  const ev = await checkEvictionPolicy(probe).finally(() => probe.disconnect());
  if (!ev.ok) {
    log.fatal({ policy: ev.policy }, ev.message);
    process.stderr.write(`refusing to start: ${ev.message}\n`);
    process.exit(EXIT_CONFIG);
  }
}

const orchestrator = await startOrchestrator({
  redis: redisConfig,
  log,
  engine: { ...engineConfigFromEnv(env), secretScopes: configOrExit(() => secretScopesFromProcessEnv()) },
  bodyLimit: env.BATON_BODY_LIMIT,
  builtinPipelines: env.BATON_BUILTIN_PIPELINES === 'true',
  artifactDir: resolve(env.BATON_ARTIFACT_DIR ?? join(env.BATON_DATA_DIR, 'artifacts')),
  ...(env.BATON_METRICS_PORT ? { metricsPort: env.BATON_METRICS_PORT, metricsHost: env.BATON_HOST } : {}),
  stageTargets: stageTargetsFromEnv(env),
  auth: configOrExit(() => authConfigFromEnv(env)),
  secrets: secretsFromEnv(),
  scheduleReloadMs: env.BATON_SCHEDULE_RELOAD_MS,
  notify: notifyConfigFromEnv(env),
});
const address = await orchestrator.app.listen({ host: env.BATON_HOST, port: env.BATON_PORT });
log.info({ address }, 'orchestrator listening');
process.send?.('ready'); // PM2 wait_ready

let signals = 0;
const shutdown = (signal: NodeJS.Signals) => {
  if (++signals > 1) process.exit(1);
  log.info({ signal }, 'shutting down: finishing in-flight requests');
  orchestrator
    .close()
    .then(() => process.exit(0))
    .catch((e: unknown) => {
      log.error({ err: errorMessage(e) }, 'unclean shutdown');
      process.exit(1);
    });
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
