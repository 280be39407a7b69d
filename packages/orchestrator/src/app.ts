import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { Registry } from 'prom-client';
import { registerAuditLog } from './auth/audit.js';
import { DEFAULT_AUTH, type AuthConfig } from './auth/auth-config.js';
import { registerAuthentication } from './auth/authenticate.js';
import { KeyStore } from './auth/key-store.js';
import { registerRateLimit } from './auth/rate-limit.js';
import { SessionStore } from './auth/session-store.js';
import { registerBullBoards } from './dashboard/bull-board.js';
import { registerDashboard } from './dashboard/dashboard-routes.js';
import { registerFleetMetrics } from './metrics/fleet-metrics.js';
import { registerProcessMetrics } from './metrics/process-metrics.js';
import { registerOpenApi } from './openapi/document.js';
import { registerRouteRules } from './openapi/route-rules.js';
import { registerErrorHandling } from './plugins/errors.js';
import { registerJsonParser } from './plugins/json-body.js';
import { registerSecurityHeaders } from './plugins/security-headers.js';
import { agentRoutes } from './routes/agents.js';
import { artifactRoutes } from './routes/artifacts.js';
import { healthRoutes } from './routes/health.js';
import { keyRoutes } from './routes/keys.js';
import { metricsRoutes } from './routes/metrics.js';
import { operationRoutes } from './routes/operations.js';
import { pipelineRoutes } from './routes/pipelines.js';
import { queueThroughputRoutes } from './routes/queue-throughput.js';
import { overviewRoutes } from './routes/overview.js';
import { runChangeRoutes } from './routes/run-changes.js';
import { sessionRoutes } from './routes/session.js';
import { runEventRoutes } from './routes/run-events.js';
import { runRoutes } from './routes/runs.js';
import { bulkRunRoutes } from './routes/bulk-runs.js';
import { stageLogRoutes } from './routes/stage-logs.js';
import { approvalRoutes } from './routes/approvals.js';
import { signalRoutes } from './routes/signals.js';
import { hookRoutes } from './routes/hooks.js';
import { triggerRoutes } from './routes/triggers.js';
import { scheduleRoutes } from './routes/schedules.js';
import { notificationRoutes } from './routes/notifications.js';
import { TriggerStore } from './triggers/trigger-store.js';
import type { Services } from './services.js';
import { StreamSlots } from './routes/stream-slots.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Open SSE streams per actor and per process (routes/stream-slots.ts). */
    streamSlots: StreamSlots;
  }
}

export interface AppOptions {
  bodyLimit?: number;
  auth?: AuthConfig;
  /** Process metrics are served on their own port (PM2 cluster): /metrics here serves fleet metrics only. */
  processMetricsElsewhere?: boolean;
  /** p95 targets per agent type in seconds, exported for alerting. */
  stageTargets?: Record<string, number>;
  /** Answer 500 when a route throws an error code its documentation does not list (the tests turn it on). */
  strictErrorDocs?: boolean;
}

export interface App {
  app: FastifyInstance;
  /** This process's own metrics (served by /metrics, or by the per-process metrics port). */
  processRegistry: Registry;
  /** Fleet-wide metrics (served by /metrics, or only by the internal metrics port). */
  fleetRegistry: Registry;
}

/** The orchestrator's HTTP API as a Fastify instance (tests drive it with `app.inject()`). */
export async function buildApp(services: Services, opts: AppOptions = {}): Promise<App> {
  const app = Fastify({
    loggerInstance: services.log as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    // During a graceful close (PM2 reload) requests already on open connections are still served;
    // idle keep-alive connections are closed so clients reconnect to a live worker.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 200 },
    // req.protocol (the session cookie's Secure flag) and req.ip (rate limits, audit) follow
    // X-Forwarded-* only from the proxies BATON_TRUST_PROXY names.
    trustProxy: opts.auth?.trustProxy ?? false,
  }).withTypeProvider<ZodTypeProvider>();

  // Before any route: every documented route is checked and gets its error codes (openapi/route-rules.ts).
  registerRouteRules(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: every other content type is a 415.
  registerJsonParser(app);
  app.decorate('baton', services);
  app.addHook('onSend', (req, reply, payload, done) => {
    void reply.header('x-request-id', req.id);
    done(null, payload);
  });
  registerErrorHandling(app, { strictDocs: opts.strictErrorDocs ?? false });
  const auth = opts.auth ?? DEFAULT_AUTH;

  // Security headers for a JSON API (the /docs page sets its own CSP for its assets).
  registerSecurityHeaders(app, {
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  // CORS only for the origins configured (none by default: browsers elsewhere cannot call the API).
  if (auth.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: auth.corsOrigins,
      methods: ['GET', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-api-key', 'x-request-id', 'last-event-id'],
      exposedHeaders: ['x-request-id', 'idempotent-replayed', 'retry-after', 'location'],
      maxAge: 600,
    });
  }
  const keyStore = new KeyStore(services.redis, services.keys);
  const sessions = new SessionStore(services.redis, services.keys, auth.sessionTtlMs);
  await registerRateLimit(app, services.redis, services.keys, auth, keyStore, sessions);
  registerAuthentication(app, auth, keyStore, sessions);
  registerAuditLog(app, services.redis, services.keys, auth.auditMaxLen, auth.deniedAuditPerMinute);

  const fleetRegistry = new Registry();
  registerFleetMetrics(fleetRegistry, services, { ...(opts.stageTargets ? { stageTargets: opts.stageTargets } : {}) });
  const processRegistry = new Registry();
  registerProcessMetrics(app, processRegistry, services);
  const registry = opts.processMetricsElsewhere ? fleetRegistry : Registry.merge([fleetRegistry, processRegistry]);

  app.decorate('streamSlots', new StreamSlots(auth.streams));
  await registerOpenApi(app);

  await app.register(healthRoutes);
  if (auth.metrics !== 'internal') await app.register(metricsRoutes(registry));
  await app.register(runRoutes);
  await app.register(bulkRunRoutes);
  await app.register(stageLogRoutes);
  await app.register(approvalRoutes);
  await app.register(signalRoutes);
  await app.register(runEventRoutes);
  await app.register(artifactRoutes);
  await app.register(pipelineRoutes);
  await app.register(agentRoutes);
  await app.register(operationRoutes);
  await app.register(keyRoutes(keyStore));
  await app.register(sessionRoutes(auth, sessions));
  await app.register(runChangeRoutes);
  await app.register(queueThroughputRoutes);
  await app.register(overviewRoutes);
  const triggers = new TriggerStore(services.redis, services.keys);
  await app.register(triggerRoutes(triggers, services.secrets));
  await app.register(hookRoutes(triggers, services.secrets));
  await app.register(scheduleRoutes);
  await app.register(notificationRoutes);
  await registerDashboard(app);
  await registerBullBoards(app, services);
  return { app, processRegistry, fleetRegistry };
}
