import type { BulkRunRequest, ForkRequest, JsonValue, Keys, RunListQuery, RunRequest, SecretUser } from '@baton/contracts';
import type { ArtifactStore, Logger, RedisClient } from '@baton/platform';
import { decideRun, expireDueApprovals } from './approvals.js';
import { forkRunFrom } from './fork.js';
import { resolvedInputHistory } from './resolved-inputs.js';
import type { RunDoc } from './run-doc.js';
import { bulkRuns, type BulkAction, type BulkOptions } from './bulk.js';
import type { Decision } from './control/approval.js';
import { repairSlots } from './slots.js';
import { removeSupersededJobs } from './superseded.js';
import { requireWaitAof } from './accept-fsync.js';
import { DEFAULT_ENGINE_CONFIG, type EngineConfig, type EngineContext } from './context.js';
import { JobEventListener } from './job-events.js';
import { Loop } from './loops.js';
import { PipelineRegistry } from './pipelines.js';
import { AgentQueues } from './queues.js';
import { Lease, LeaseLost } from './lease.js';
import { collectArtifactGarbage, enforceRetentionFully, reconcileActiveRuns } from './reconciler.js';
import { AgentRegistry } from './registry.js';
import { sweepFinishedJobs } from './result-sweeper.js';
import { advanceFleetDrains, commandAgent, getFleetDrain, listQueues, setQueuePaused, startFleetDrain } from './operations.js';
import { cancelRun, listRuns, pauseRun, readEvents, resumeRun, retryRun, signalRun, submitRun } from './runs.js';
import { RunStore } from './store/run-store.js';
import { CommitLanes } from './commit-lane.js';

export interface EngineDeps {
  /** Command connection (fails fast while Redis is down). */
  redis: RedisClient;
  /** A connection the engine blocks on to read job events; it is closed when the engine stops. */
  subscriber: RedisClient;
  keys: Keys;
  log: Logger;
  config?: Partial<EngineConfig> & { agentDeafAfterMs?: number };
  now?: () => number;
  artifacts?: ArtifactStore;
}

/**
 * The run engine: state in Redis, transitions, dispatch, result application and repair. No HTTP.
 * Any number of engines (orchestrator instances) may run against one Redis.
 */
export class Engine {
  readonly ctx: EngineContext;
  readonly pipelines: PipelineRegistry;
  readonly registry: AgentRegistry;
  private readonly jobEvents: JobEventListener;
  private readonly sweeper: Loop;
  private readonly reconciler: Loop;
  private readonly lease: Lease;

  constructor(private readonly deps: EngineDeps) {
    const config = { ...DEFAULT_ENGINE_CONFIG, ...deps.config };
    const now = deps.now ?? Date.now;
    const queues = new AgentQueues(deps.redis, deps.keys, config.jobRetentionSeconds);
    this.ctx = {
      redis: deps.redis,
      keys: deps.keys,
      log: deps.log,
      config,
      store: new RunStore(deps.redis, deps.keys, config.eventsMaxLen),
      lanes: new CommitLanes(),
      queues,
      now,
      artifacts: deps.artifacts ?? null,
      count: (field, n = 1) => {
        deps.redis.hincrby(deps.keys.metrics(), field, n).catch(() => undefined);
      },
    };
    this.registry = new AgentRegistry(deps.redis, deps.keys, queues, {
      deafAfterMs: deps.config?.agentDeafAfterMs ?? 30_000,
      deadRetentionMs: config.deadAgentRetentionMs,
      now,
    });
    this.pipelines = new PipelineRegistry(deps.redis, deps.keys, (needed) => this.registry.knownTypesFor(needed));
    this.jobEvents = new JobEventListener(this.ctx, deps.subscriber, () => this.registry.knownTypes(1000));
    this.sweeper = new Loop('result-sweeper', config.sweepIntervalMs, async () => {
      const grace = this.jobEvents.lagging() ? 0 : 2 * config.sweepIntervalMs;
      await sweepFinishedJobs(this.ctx, await this.registry.knownTypes(), grace);
    }, deps.log);
    this.lease = new Lease(this.ctx, 'reconciler', config.reconcileIntervalMs * 3);
    this.reconciler = new Loop('reconciler', config.reconcileIntervalMs, async () => {
      if (!(await this.lease.acquire())) return;
      try {
        await this.reconcilePass(() => this.lease.ensure());
      } catch (e: unknown) {
        if (!(e instanceof LeaseLost)) throw e;
        deps.log.warn({ lease: e.lease }, 'reconciler pass outlived its lease; stopped before acting');
      }
    }, deps.log);
  }

  /** One full reconcile pass; `guard` runs before each action and throws to stop the pass. */
  private async reconcilePass(guard: () => Promise<void>): Promise<void> {
    const repairs = (await reconcileActiveRuns(this.ctx, 8, guard)) + (await expireDueApprovals(this.ctx, guard)) + (await removeSupersededJobs(this.ctx, 500, guard)) + (await guard(), await repairSlots(this.ctx));
    const deleted = await enforceRetentionFully(this.ctx, 2000, 500, guard);
    const files = await collectArtifactGarbage(this.ctx, 200, guard);
    await guard();
    const pruned = await this.registry.prune();
    await guard();
    await advanceFleetDrains(this.ctx, this.registry);
    if (repairs + deleted + pruned + files > 0) this.deps.log.info({ repairs, deleted, pruned, artifactFilesDeleted: files }, 'reconciler pass');
  }

  /** Starts the background systems: job event listener, result sweeper, reconciler. */
  async start(): Promise<void> {
    if (this.ctx.config.acceptFsync) await requireWaitAof(this.ctx.redis);
    await this.jobEvents.start();
    this.sweeper.start();
    this.reconciler.start();
  }

  async stop(): Promise<void> {
    await this.jobEvents.stop();
    await Promise.all([this.sweeper.stop(), this.reconciler.stop()]);
    await this.ctx.queues.close();
  }

  /** Runs one reconcile pass now (tests, and `baton` operator tooling). */
  async reconcileNow(): Promise<number> {
    await sweepFinishedJobs(this.ctx, await this.registry.knownTypes());
    return (await reconcileActiveRuns(this.ctx)) + (await expireDueApprovals(this.ctx)) + (await removeSupersededJobs(this.ctx)) + (await repairSlots(this.ctx));
  }

  /** `user`: who submits, for the secret scopes (null: unknown, so no secret may be named). */
  submit(req: RunRequest, idempotencyKey?: string, createdBy: string | null = null, user: SecretUser | null = null) {
    return submitRun(this.ctx, this.pipelines, (needed) => this.registry.knownTypesFor(needed), req, idempotencyKey, createdBy, user);
  }
  async get(runId: string) {
    return (await this.ctx.store.load(runId))?.doc ?? null;
  }
  list(q: RunListQuery) {
    return listRuns(this.ctx, q);
  }
  cancel(runId: string, reason: string | null = null) {
    return cancelRun(this.ctx, runId, reason);
  }
  pause(runId: string) {
    return pauseRun(this.ctx, runId);
  }
  resume(runId: string) {
    return resumeRun(this.ctx, runId);
  }
  retry(runId: string, fromStage?: string) {
    return retryRun(this.ctx, runId, fromStage);
  }
  /** The resolved input of each dispatch of each stage, oldest first (resolved-inputs.ts). */
  resolvedInputs(doc: RunDoc) {
    return resolvedInputHistory(this.ctx, doc);
  }
  /** A new run of the same pipeline version from `fromStage`, upstream outputs copied (fork.ts). */
  fork(runId: string, req: ForkRequest, createdBy: string | null = null, user: SecretUser | null = null) {
    return forkRunFrom(this.ctx, runId, req, createdBy, user);
  }
  /** Cancels or retries every run a filter matches (bulk.ts). */
  bulk(action: BulkAction, req: BulkRunRequest, opts?: BulkOptions) {
    return bulkRuns(this.ctx, action, req, opts);
  }
  /** Approves or rejects a waiting approval stage (throws FORBIDDEN when the actor may not). */
  decide(runId: string, f: Decision) {
    return decideRun(this.ctx, runId, f);
  }
  /** Delivers a signal to the run's stages waiting for it (or keeps it for one that will). */
  signal(runId: string, name: string, payload: JsonValue) {
    return signalRun(this.ctx, runId, name, payload);
  }
  drainAgent(agentId: string) {
    return commandAgent(this.ctx, this.registry, agentId, 'drain');
  }
  restartAgent(agentId: string) {
    return commandAgent(this.ctx, this.registry, agentId, 'restart');
  }
  drainFleet(type: string) {
    return startFleetDrain(this.ctx, this.registry, type);
  }
  fleetDrain(type: string) {
    return getFleetDrain(this.ctx, type);
  }
  queues() {
    return listQueues(this.ctx, this.registry);
  }
  pauseQueue(type: string, paused: boolean) {
    return setQueuePaused(this.ctx, this.registry, type, paused);
  }
  events(runId: string, afterId = '0', count?: number) {
    return readEvents(this.ctx, runId, afterId, count);
  }
}
