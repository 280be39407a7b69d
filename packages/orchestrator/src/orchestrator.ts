import { keys as buildKeys, PipelineDefinition } from '@baton/contracts';
import { Engine, type EngineConfig } from '@baton/engine';
import { createRedis, errorMessage, FsArtifactStore, instancePort, startMetricsServer, type Logger, type RedisConfig } from '@baton/platform';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import type { AuthConfig } from './auth/auth-config.js';
import { buildApp } from './app.js';
import { BUILTIN_PIPELINES } from './builtin-pipelines.js';
import { RunNoticeHub } from './run-notice-hub.js';
import { ScheduleStore } from './schedules/schedule-store.js';
import { Scheduler } from './schedules/scheduler.js';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DEFAULT_NOTIFY, deliveryQueue, startDeliveryWorker, type NotifyConfig } from './notifications/delivery-worker.js';
import { NotificationStore } from './notifications/notification-store.js';
import { OutboxRelay } from './notifications/outbox-relay.js';
import { OverviewSampler } from './overview/overview-sampler.js';

export interface OrchestratorOptions {
  redis: RedisConfig;
  log: Logger;
  engine?: Partial<EngineConfig> & { agentDeafAfterMs?: number };
  bodyLimit?: number;
  /** Register BUILTIN_PIPELINES at start (default true). */
  builtinPipelines?: boolean;
  /** Directory of the artifact store (shared with the agents). */
  artifactDir?: string;
  /** Serve this process's metrics on its own port (base + PM2 instance); /metrics then serves fleet metrics only. */
  metricsPort?: number;
  metricsHost?: string;
  stageTargets?: Record<string, number>;
  auth?: AuthConfig;
  /** See AppOptions.strictErrorDocs. */
  strictErrorDocs?: boolean;
  /** BATON_SECRET_* values (see env.ts secretsFromEnv). */
  secrets?: Record<string, string>;
  /** See BATON_SCHEDULE_RELOAD_MS. */
  scheduleReloadMs?: number;
  /** Notification delivery: attempts, first backoff, receiver timeout. */
  notify?: NotifyConfig;
  /** Bound of each step of `close()` (default 10 s); a step past it is logged and left behind. */
  closeStepTimeoutMs?: number;
}

export interface Orchestrator {
  app: FastifyInstance;
  engine: Engine;
  close(): Promise<void>;
}

/** Registers built-in pipelines, retrying while Redis is unreachable. */
async function registerBuiltins(engine: Engine, log: Logger): Promise<void> {
  for (const [name, def] of Object.entries(BUILTIN_PIPELINES)) {
    for (let attempt = 1; ; attempt++) {
      try {
        const { view, created } = await engine.pipelines.put(name, PipelineDefinition.parse(def));
        if (created) log.info({ pipeline: name, version: view.version }, 'built-in pipeline registered');
        break;
      } catch (e: unknown) {
        if (attempt >= 30) throw e;
        log.warn({ pipeline: name, err: errorMessage(e) }, 'could not register built-in pipeline yet; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }
}

/** Wires an orchestrator: Redis connections, engine (with its background loops) and the HTTP app. */
export async function startOrchestrator(opts: OrchestratorOptions): Promise<Orchestrator> {
  const keys = buildKeys(opts.redis.namespace);
  const log = opts.log;
  const redis = createRedis(opts.redis, 'command', 'baton-orchestrator', log);
  const subscriber = createRedis(opts.redis, 'blocking', 'baton-orchestrator-jobs', log);
  const runSubscriber = createRedis(opts.redis, 'blocking', 'baton-orchestrator-runs', log);
  await redis.ping().catch(async () => {
    // Fail-fast connection: wait for the first connect instead of failing start-up on a race.
    await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  });

  const engine = new Engine({
    redis,
    subscriber,
    keys,
    log: log.child({ component: 'engine' }),
    ...(opts.engine ? { config: opts.engine } : {}),
    ...(opts.artifactDir ? { artifacts: new FsArtifactStore(opts.artifactDir) } : {}),
  });
  await engine.start();
  if (opts.builtinPipelines ?? true) await registerBuiltins(engine, log);

  const notices = new RunNoticeHub(runSubscriber, keys);
  await notices.start();
  const scheduler = new Scheduler(new ScheduleStore(redis, keys), engine, log.child({ component: 'scheduler' }), opts.scheduleReloadMs ?? 5000);
  await scheduler.start();

  // Notifications: outbox entries (written with each transition) -> delivery queue -> receivers.
  const notifyCfg = opts.notify ?? DEFAULT_NOTIFY;
  const notificationStore = new NotificationStore(redis, keys);
  const notificationQueue = deliveryQueue(redis, keys, notifyCfg);
  const workerConnection = createRedis(opts.redis, 'blocking', 'baton-orchestrator-notify', log);
  const notifyLog = log.child({ component: 'notifications' });
  const deliveryWorker = startDeliveryWorker(workerConnection, keys, notificationStore, opts.secrets ?? {}, notifyCfg, notifyLog);
  const outboxReader = createRedis(opts.redis, 'blocking', 'baton-orchestrator-outbox', log);
  const relay = new OutboxRelay(outboxReader, redis, keys, notificationStore, notificationQueue, `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`, notifyLog);
  await relay.start();
  // The overview page's gauges: one sample per minute across the fleet (overview/overview-sampler.ts).
  const sampler = new OverviewSampler(redis, keys, engine, log.child({ component: 'overview' }));
  sampler.start();
  const { app, processRegistry, fleetRegistry } = await buildApp(
    { engine, redis, keys, notices, log, secrets: opts.secrets ?? {}, scheduler, notifications: { store: notificationStore, queue: notificationQueue } },
    {
      ...(opts.bodyLimit ? { bodyLimit: opts.bodyLimit } : {}),
      processMetricsElsewhere: opts.metricsPort !== undefined,
      ...(opts.stageTargets ? { stageTargets: opts.stageTargets } : {}),
      ...(opts.auth ? { auth: opts.auth } : {}),
      ...(opts.strictErrorDocs ? { strictErrorDocs: true } : {}),
    },
  );
  // With BATON_METRICS_AUTH=internal the fleet metrics move to the internal port too.
  const internalRegistry = opts.auth?.metrics === 'internal' ? Registry.merge([fleetRegistry, processRegistry]) : processRegistry;
  const metricsServer =
    opts.metricsPort !== undefined ? await startMetricsServer(internalRegistry, instancePort(opts.metricsPort), opts.metricsHost ?? '0.0.0.0') : null;
  if (metricsServer) log.info({ port: metricsServer.port }, 'process metrics listening');

  let closing: Promise<void> | null = null;
  // Each step of the stop is bounded: a BullMQ Worker whose blocking client is still reconnecting
  // after a Redis restart can wait forever for an `end` event (taskforcesh/bullmq#4656). A step
  // past its bound is logged by name and left behind; the raw connections are cut at the end.
  const step = async (name: string, fn: () => Promise<unknown> | undefined): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const overran = new Promise<'overran'>((r) => (timer = setTimeout(() => r('overran'), opts.closeStepTimeoutMs ?? 10_000)));
    const outcome = await Promise.race([Promise.resolve(fn()).then(() => 'done' as const), overran]).finally(() => clearTimeout(timer));
    if (outcome === 'overran') log.warn({ step: name, boundMs: opts.closeStepTimeoutMs ?? 10_000 }, 'orchestrator stop: a step overran its bound; going on without it');
  };
  return {
    app,
    engine,
    close() {
      closing ??= (async () => {
        await step('http', () => app.close());
        await step('metrics server', () => metricsServer?.close());
        await step('scheduler', () => scheduler.stop());
        await step('overview sampler', () => sampler.stop());
        await step('outbox relay', () => relay.stop());
        await step('notification worker', () => deliveryWorker.close());
        await step('notification queue', () => notificationQueue.close());
        await step('notification connection', () => workerConnection.quit().catch(() => workerConnection.disconnect()));
        await step('run notices', () => notices.stop());
        await step('engine', () => engine.stop());
        // The engine closed `subscriber` (its job-event reader) when it stopped.
        for (const c of [redis, runSubscriber]) await step('connection', () => c.quit().catch(() => c.disconnect()));
        for (const c of [redis, runSubscriber, subscriber, workerConnection, outboxReader]) c.disconnect();
      })();
      return closing;
    },
  };
}
