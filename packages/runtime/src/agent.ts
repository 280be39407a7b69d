import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import {
  BATON_VERSION,
  PROTOCOL_VERSION,
  supersededMember,
  type AgentState,
  type AgentTypeRegistration,
  type ControlMessage,
  type Keys,
  type TaskEnvelope,
  type TaskResult,
} from '@baton/contracts';
import { ConfigError, createRedis, errorMessage, instancePort, startMetricsServer, type Logger, type RedisClient, type RedisConfig } from '@baton/platform';
import { Worker } from 'bullmq';
import { z } from 'zod';
import { AgentMetrics } from './agent-metrics.js';
import { artifactWriter, type ArtifactConfig } from './artifacts.js';
import { ControlListener } from './control-listener.js';
import type { AgentDefinition } from './define-agent.js';
import { Heartbeat } from './heartbeat.js';
import type { ModelConfig } from './model/config.js';
import { ModelRuntime } from './model/model-runtime.js';
import { LiveLogWriter } from './live-log.js';
import { TaskRunner } from './task-runner.js';
import { watchWorker } from './watch-worker.js';

export interface AgentOptions {
  redis: RedisConfig;
  keys: Keys;
  log: Logger;
  agentId?: string;
  concurrency?: number;
  heartbeatMs?: number;
  drainGraceMs?: number;
  abortGraceMs?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalled?: number;
  /** Artifact storage; without it `ctx.artifacts.save` fails. */
  artifacts?: ArtifactConfig;
  /**
   * The worker watchdog: when jobs have been ready this long while the agent had a free slot and
   * took none, reconnect its worker (0 disables it). Default 30 s.
   */
  watchdogMs?: number;
  /** Serve this process's metrics and /health on this port (+ NODE_APP_INSTANCE under PM2). */
  metricsPort?: number;
  metricsHost?: string;
  /**
   * The main event loop blocked this many lock durations makes the heartbeat thread kill the process
   * (SIGKILL, see EXIT_WEDGED_SIGNAL) so its supervisor replaces it and its jobs are recovered
   * (0: never). Default 3. From one lock duration of blocking the registry shows it `wedged`.
   */
  wedgedExitLocks?: number;
  /**
   * A handler abandoned (still running past the abort grace after its signal fired) this long makes the
   * agent exit with EXIT_ABANDONED, so its process tree dies (0: never). Default 60 s.
   */
  abandonedExitMs?: number;
  /** Every step of a stop is bounded; past this the stop gives up waiting for Redis. Default 5 s. */
  stopStepTimeoutMs?: number;
  /** The model provider of an agent whose definition opts into ctx.model (from BATON_MODEL_*). */
  model?: ModelConfig | null;
}

/** Why an agent stopped, and the exit code its process should use. */
export interface StopReason {
  mode: StopMode;
  exitCode: number;
}

/**
 * drain: stop taking tasks, finish held ones (up to the grace period), exit 0.
 * shutdown: the same, on SIGTERM/SIGINT.
 * restart: stop taking tasks, hand held ones back to the queue at once, exit with EXIT_RESTART.
 */
export type StopMode = 'drain' | 'shutdown' | 'restart' | 'abandoned';

/**
 * How long an idle worker's blocking fetch waits before polling once (seconds). Under two minutes so
 * load balancers and NAT that drop idle connections after a few minutes do not silence it.
 */
const IDLE_FETCH_BLOCK_S = 110;

export const EXIT_OK = 0;
export const EXIT_RESTART = 75;
/** A handler ignored its abort signal for longer than BATON_ABANDONED_EXIT_MS: the process exits so its tree dies. */
export const EXIT_ABANDONED = 76;
/** The stop did not finish within its bound (e.g. Redis down at SIGTERM): the process exits anyway. */
export const EXIT_STOP_TIMEOUT = 77;
/**
 * A wedged agent (main loop blocked for BATON_WEDGED_EXIT_LOCKS lock durations) is killed by its
 * heartbeat thread with this signal (exit status 137 in a shell, Docker and PM2): its loop cannot run
 * any exit code of its own.
 */
export const EXIT_WEDGED_SIGNAL = 'SIGKILL';

export interface AgentHandle {
  readonly id: string;
  readonly type: string;
  /** Stops the agent (idempotent); resolves when it has stopped. */
  stop(mode?: StopMode): Promise<StopReason>;
  /** Resolves when the agent stopped, however that was triggered (e.g. a drain control message). */
  readonly stopped: Promise<StopReason>;
}

function defaultAgentId(type: string): string {
  const host = hostname().toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40);
  return `${type}-${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

function jsonSchemaOf(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  } catch {
    return null;
  }
}

/**
 * Starts an agent in this process: registers its type, heartbeats from a worker thread, listens for
 * control messages, and consumes its queue with one BullMQ worker. The runtime owns every
 * connection; the handler only does the agent's domain work.
 */
export async function startAgent(def: AgentDefinition, opts: AgentOptions): Promise<AgentHandle> {
  const id = opts.agentId ?? defaultAgentId(def.type);
  const version = def.version ?? BATON_VERSION;
  const concurrency = opts.concurrency ?? def.concurrency ?? 1;
  const heartbeatMs = opts.heartbeatMs ?? 2000;
  const log = opts.log.child({ agentId: id, agent: def.type });
  const { keys } = opts;
  if (def.model && def.model.required !== false && !opts.model) {
    throw new ConfigError([`the ${def.type} agent uses a model: set BATON_MODEL_PROVIDER, BATON_MODEL_NAME and BATON_MODEL_API_KEY_SECRET`]);
  }

  // The agent's one request/response connection: registration, job notices, artifacts, the watchdog's
  // backlog reads, and the BullMQ worker (which duplicates it for its blocking fetch). The heartbeat
  // thread has its own, so it can tell a stuck worker connection from an unreachable Redis.
  const command: RedisClient = createRedis(opts.redis, 'blocking', `baton-worker-${id}`, log);
  const registration: AgentTypeRegistration = {
    type: def.type,
    protocol: PROTOCOL_VERSION,
    version,
    description: def.description ?? '',
    inputSchema: jsonSchemaOf(def.input),
    outputSchema: jsonSchemaOf(def.output),
    registeredAt: new Date().toISOString(),
  };
  await command.hset(keys.agentTypes(), def.type, JSON.stringify(registration));

  let runner: TaskRunner | null = null;
  const metrics = new AgentMetrics(def.type, () => runner?.activeIds().length ?? 0);
  let state: AgentState = 'starting';
  const metricsServer =
    opts.metricsPort !== undefined
      ? await startMetricsServer(metrics.registry, instancePort(opts.metricsPort), opts.metricsHost ?? '0.0.0.0', () => state === 'running' || state === 'draining')
      : null;
  const startedAt = new Date().toISOString();
  let lastTaskAt: string | null = null;
  const lockDurationMs = opts.lockDurationMs ?? 20_000;
  const wedgedExitMs = (opts.wedgedExitLocks ?? 3) * lockDurationMs;
  const hb = await Heartbeat.start(opts.redis, keys, {
    protocol: PROTOCOL_VERSION,
    id,
    type: def.type,
    host: hostname(),
    pid: process.pid,
    version,
    concurrency,
    state,
    active: [],
    lastTaskAt,
    startedAt,
    beatAt: startedAt,
    intervalMs: heartbeatMs,
    eventLoopBlockedMs: 0,
    wedgedAfterMs: lockDurationMs,
    metricsPort: metricsServer?.port ?? null,
  }, wedgedExitMs);

  // The control stream reader: its connection is open only while tasks run (and a while after); an
  // idle agent gets drain and restart from its heartbeat record (see ControlListener).
  const control = new ControlListener(command, () => createRedis(opts.redis, 'blocking', `baton-control-${id}`, log), keys, def.type, log, (m: ControlMessage) => {
    if (m.kind === 'cancel') {
      if (runner?.cancel(m.jobId, m.reason)) log.info({ jobId: m.jobId, reason: m.reason }, 'task cancelled by the orchestrator');
    } else if (m.agentId === id) {
      log.info({ kind: m.kind }, 'control message received');
      void stop(m.kind);
    }
  });
  hb.onControl = (kind) => {
    log.info({ kind }, 'command received with a beat');
    void stop(kind);
  };
  hb.onBeatFailed = () => control.catchUp();

  // No doorbells: BullMQ writes every job move (active, progress, completed, failed) to the queue's
  // event stream in the same script, and orchestrators tail that stream.
  runner = new TaskRunner({
    def,
    agentId: id,
    version,
    log,
    abortGraceMs: opts.abortGraceMs ?? 5000,
    concurrency,
    onAbandonedChange: (n) => capacity(n),
    onActiveChange: (active) => {
      hb.update({ active });
      control.setBusy(active.length > 0);
    },
    superseded: async (jobId) => (await command.zscore(keys.supersededJobs(), supersededMember(def.type, jobId))) !== null,
    liveLog: (runId, stage, dispatch, attempt, taskLog) => new LiveLogWriter(command, keys.stageLog(runId, stage, dispatch), attempt, taskLog),
    artifacts: (runId, stage) => artifactWriter(opts.artifacts, command, keys, { runId, stage, agentId: id }),
    onFinished: (outcome, seconds) => metrics.taskFinished(outcome, seconds),
    model: def.model && opts.model ? new ModelRuntime(opts.model, def.model, command, keys, (pipeline, model, u) => metrics.modelCall(pipeline, model, u)) : undefined,
  });
  const tasks = runner;

  const watchdogMs = opts.watchdogMs ?? 30_000;
  const worker = new Worker<TaskEnvelope, TaskResult>(keys.queue(def.type), tasks.process, {
    connection: command,
    prefix: keys.bullPrefix,
    name: id,
    concurrency,
    autorun: false,
    lockDuration: lockDurationMs,
    stalledInterval: opts.stalledIntervalMs ?? 10_000,
    maxStalledCount: opts.maxStalled ?? 5,
    // An idle worker's blocking read returns every drainDelay seconds and then polls the queue once
    // (about 8 Redis commands). New, delayed, retried and recovered jobs all wake it at once through
    // the queue marker, so the timeout only matters for a blocking connection that went silently
    // dead: the watchdog catches that within watchdogMs of a job waiting, so with it the read can
    // block long; without it, keep BullMQ's own 10 s ceiling.
    drainDelay: watchdogMs > 0 ? IDLE_FETCH_BLOCK_S : 10,
  });
  let lastWorkerError = '';
  worker.on('error', (err) => {
    if (err.message !== lastWorkerError) log.warn({ err: err.message }, 'worker error');
    lastWorkerError = err.message;
  });
  let lastTakenAt = Date.now();
  worker.on('active', () => {
    lastTakenAt = Date.now();
    lastTaskAt = new Date(lastTakenAt).toISOString();
    hb.update({ lastTaskAt });
  });
  worker.on('stalled', (jobId) => log.warn({ jobId }, 'recovered a job whose agent stopped renewing its lock'));
  worker.on('lockRenewalFailed', (jobIds) => {
    const aborted = tasks.lockLost(jobIds);
    log.warn({ jobIds, aborted }, 'could not renew job locks; another agent may take these jobs over: their handlers are aborted');
  });

  // Abandoned handlers keep their slots: the worker fetches only for the slots left, and not at all
  // while none is. One abandoned longer than the bound makes the agent exit (its process tree dies).
  function capacity(abandoned: number): void {
    if (tasks.closing) return;
    const free = concurrency - abandoned;
    if (free <= 0) {
      if (!worker.isPaused()) void worker.pause(true).catch(() => undefined);
      return;
    }
    worker.concurrency = free;
    if (worker.isPaused() && state === 'running') void worker.resume();
  }
  const abandonedExitMs = opts.abandonedExitMs ?? 60_000;
  const abandonWatch =
    abandonedExitMs > 0
      ? setInterval(() => {
          const since = tasks.oldestAbandonedAt();
          if (since === null || Date.now() - since < abandonedExitMs) return;
          log.error({ abandoned: tasks.abandonedCount(), abandonedForMs: Date.now() - since, exitCode: EXIT_ABANDONED }, 'a handler ignored its abort signal past the bound: exiting so its process tree dies');
          void stop('abandoned');
        }, Math.min(1000, abandonedExitMs)).unref()
      : null;

  let stopping: Promise<StopReason> | null = null;
  let resolveStopped!: (r: StopReason) => void;
  const stopped = new Promise<StopReason>((r) => (resolveStopped = r));


  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

  const watchdog =
    watchdogMs > 0
      ? watchWorker({
          worker,
          workerConnection: command,
          keys,
          agentType: def.type,
          stallAfterMs: watchdogMs,
          heartbeatMs,
          beats: () => hb.beats(),
          log,
          wantsWork: () => state === 'running' && !tasks.closing && tasks.activeIds().length < concurrency,
          lastTakenAt: () => lastTakenAt,
          onRecovery: () => metrics.workerRecovered(),
          restart: () => void stop('restart'),
        })
      : null;

  const stepMs = opts.stopStepTimeoutMs ?? 5000;
  /** A stop step that waits on Redis (or a thread) waits at most stepMs: Redis may be down. */
  const bounded = async (what: string, p: Promise<unknown>): Promise<void> => {
    let timedOut = false;
    await Promise.race([p.catch(() => undefined), sleep(stepMs).then(() => (timedOut = true))]);
    if (timedOut) log.warn({ step: what, waitedMs: stepMs }, 'agent stop step did not finish in time; going on');
  };

  const stop = (mode: StopMode = 'shutdown'): Promise<StopReason> => {
    stopping ??= (async () => {
      if (abandonWatch) clearInterval(abandonWatch);
      const watchdogStopped = watchdog?.stop();
      state = mode === 'drain' ? 'draining' : 'stopping';
      hb.update({ state });
      log.info({ mode, active: tasks.activeIds().length }, 'agent stopping: no longer taking tasks');
      const step = (what: string) => log.debug({ step: what }, 'agent stop step');
      tasks.closing = true;
      const handBack = mode === 'restart' || mode === 'abandoned';
      // close() stops fetching at once and resolves when the tasks it holds have finished.
      const closed = worker.close().catch(() => undefined);
      if (!handBack) await Promise.race([closed, sleep(opts.drainGraceMs ?? 30_000)]);
      if (tasks.activeIds().length > 0) {
        tasks.abandonAll(handBack ? `agent ${mode === 'restart' ? 'restarting' : 'exiting (abandoned handler)'}` : 'drain grace period over');
        await Promise.race([closed, sleep((opts.abortGraceMs ?? 5000) + 1000)]);
      }
      step('tasks finished or handed back');
      await Promise.race([closed, sleep(5000)]);
      await bounded('force-close worker', worker.close(true));
      step('worker closed');
      await bounded('stop control listener', control.stop());
      step('control stopped');
      await bounded('stop heartbeat', hb.stop(true));
      step('heartbeat stopped');
      await bounded('stop watchdog', Promise.resolve(watchdogStopped));
      await bounded('quit connection', command.quit());
      command.disconnect();
      await bounded('close metrics server', Promise.resolve(metricsServer?.close()));
      const exitCode = mode === 'restart' ? EXIT_RESTART : mode === 'abandoned' ? EXIT_ABANDONED : EXIT_OK;
      const reason = { mode, exitCode };
      log.info(reason, 'agent stopped');
      resolveStopped(reason);
      return reason;
    })();
    return stopping;
  };

  await def.onStart?.({ log, agentId: id });
  await control.start();
  void worker.run().catch((e: unknown) => log.error({ err: errorMessage(e) }, 'worker stopped unexpectedly'));
  await worker.waitUntilReady();
  state = 'running';
  hb.update({ state });
  log.info({ concurrency, version }, 'agent ready');

  return { id, type: def.type, stop, stopped };
}
