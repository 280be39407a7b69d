import type { RunStatus } from './run.js';

/**
 * The one place that builds Redis keys, BullMQ queue names and pub/sub channels.
 *
 * Cluster layout (deliberate): every key of a deployment carries the hash tag `{<namespace>}`, so
 * all of them live in one slot. That lets each run transition commit the run document, its events
 * stream, the run indexes and the fleet-wide counters in one atomic script, and lets BullMQ's own
 * scripts run unchanged. On Redis Cluster a deployment therefore occupies one shard (use replicas for
 * availability); separate namespaces spread over shards.
 */
export interface Keys {
  readonly namespace: string;
  /** `{<namespace>}`: the hash tag every key of the deployment starts with (one cluster slot). */
  readonly hashTag: string;
  /** BullMQ `prefix` option: queue keys become `{ns}:q:<queue>:<suffix>`. */
  readonly bullPrefix: string;
  /** BullMQ queue name for an agent type. */
  queue(agentType: string): string;
  /** BullMQ's event stream of an agent queue (job added/active/completed/failed/progress...). */
  queueEvents(agentType: string): string;

  run(runId: string): string;
  runEvents(runId: string): string;
  runsByCreated(): string;
  runsByStatus(status: RunStatus): string;
  runsByPipeline(pipeline: string): string;
  runsActive(): string;
  runsFinished(): string;
  /** Jobs of stage dispatches no longer wanted (zset: "<agentType>|<jobId>" -> time): never executed, removed by the repair pass. */
  supersededJobs(): string;
  /** Runs carrying the label `key` = `value` (sorted set by run id). */
  runsByLabel(key: string, value: string): string;
  /** Runs submitted by an API key id (sorted set by run id). */
  runsByCreator(keyId: string): string;
  /** Runs of one version of a registered pipeline (sorted set by run id). */
  runsByPipelineVersion(pipeline: string, version: number): string;
  idempotency(keyHash: string): string;
  /** A bulk action's progress under an Idempotency-Key (hash: run id -> the run's updatedAt when claimed). */
  bulkOperation(keyHash: string): string;
  /** The resolved input of each stage dispatch of a run (hash: `<stage>#<dispatch>` -> JSON). */
  runInputs(runId: string): string;
  /** The live log of one stage dispatch, every attempt of it (capped stream; deleted with the run). */
  stageLog(runId: string, stage: string, dispatch: number): string;
  /** Artifact metadata of a run (hash: artifact id -> JSON). */
  runArtifacts(runId: string): string;
  /** Reference counts of content-addressed artifact files (hash: sha256 -> count). */
  artifactRefs(): string;
  /** sha256 of artifact files no run references any more (set), for the reconciler to delete. */
  artifactGarbage(): string;

  pipelines(): string;
  /** Hash: deployment app name -> the key id that owns it (the first key that deployed it). */
  appOwners(): string;
  pipelineVersions(name: string): string;

  agents(): string;
  agent(agentId: string): string;
  agentTypes(): string;
  control(agentType: string): string;
  /** The rolling drain of an agent type, while one runs (JSON). */
  fleetDrain(agentType: string): string;

  /** Holders of a concurrency key value (zset: "<runId>|<scope>" -> time taken). */
  concurrencyHolders(key: string): string;
  /** Runs waiting for a concurrency key value (zset: "<runId>|<scope>" -> run creation time, FIFO). */
  concurrencyWaiters(key: string): string;
  /** Every concurrency key value in use (zset), for the repair pass. */
  concurrencyKeys(): string;
  metrics(): string;
  /** The overview series of one minute (minutes since the epoch; hash, expiring: see overview.ts). */
  overviewMinute(minute: number): string;
  /** A fleet-wide model rate-limit bucket (hash) of one provider + model. */
  modelRate(provider: string, model: string): string;
  lease(name: string): string;
  /** An API key record (hash). */
  apiKey(id: string): string;
  /** Ids of every API key (set). */
  apiKeys(): string;
  /** The audit log (capped stream). */
  audit(): string;
  /** Prefix of the rate limiter's counters. */
  rateLimitPrefix(): string;
  /** A dashboard session (string, expiring), by the sha256 of its cookie token. */
  session(tokenHash: string): string;

  runNotices(): string;

  /** Webhook triggers (hash: name -> stored trigger JSON). */
  triggers(): string;
  /** The latest deliveries of a trigger (capped list, newest first). */
  triggerDeliveries(name: string): string;
  /** Schedules (hash: name -> definition JSON). */
  schedules(): string;
  /** Schedule progress (hash: name -> { lastTick, lastRunId, lastOutcome } JSON). */
  scheduleState(): string;
  /** Notification subscriptions (hash: name -> definition JSON). */
  notifications(): string;
  /** The notification outbox: notable run events, written in the same commit as their transition (stream). */
  notificationOutbox(): string;
  /** BullMQ queue of notification deliveries (not an agent type: agent types cannot contain "_"). */
  notificationQueue(): string;
  /** Delivery records of a subscription (hash: delivery id -> JSON) and their order (zset by time). */
  notificationDeliveries(name: string): string;
  notificationDeliveryOrder(name: string): string;
}

export const NAMESPACE_PATTERN = /^[a-z][a-z0-9-]{0,30}$/;

export function keys(namespace = 'baton'): Keys {
  if (!NAMESPACE_PATTERN.test(namespace)) throw new Error(`invalid Baton namespace "${namespace}"`);
  const t = `{${namespace}}`;
  return {
    namespace,
    hashTag: t,
    bullPrefix: `${t}:q`,
    queue: (agentType) => agentType,
    queueEvents: (agentType) => `${t}:q:${agentType}:events`,

    run: (id) => `${t}:run:${id}`,
    runEvents: (id) => `${t}:run:${id}:events`,
    runsByCreated: () => `${t}:runs:created`,
    runsByStatus: (status) => `${t}:runs:status:${status}`,
    runsByPipeline: (pipeline) => `${t}:runs:pipeline:${pipeline}`,
    runsActive: () => `${t}:runs:active`,
    runsFinished: () => `${t}:runs:finished`,
    supersededJobs: () => `${t}:jobs:superseded`,
    runsByLabel: (key, value) => `${t}:runs:label:${encodeURIComponent(key)}=${encodeURIComponent(value)}`,
    runsByCreator: (keyId) => `${t}:runs:creator:${encodeURIComponent(keyId)}`,
    runsByPipelineVersion: (pipeline, version) => `${t}:runs:pipeline:${pipeline}:v${version}`,
    idempotency: (h) => `${t}:idem:${h}`,
    bulkOperation: (h) => `${t}:bulk:${h}`,
    runInputs: (id) => `${t}:run:${id}:inputs`,
    stageLog: (id, stage, dispatch) => `${t}:run:${id}:log:${stage}:${dispatch}`,
    runArtifacts: (id) => `${t}:run:${id}:artifacts`,
    artifactRefs: () => `${t}:artifacts:refs`,
    artifactGarbage: () => `${t}:artifacts:garbage`,

    pipelines: () => `${t}:pipelines`,
    appOwners: () => `${t}:apps:owners`,
    pipelineVersions: (name) => `${t}:pipeline:${name}`,

    agents: () => `${t}:agents`,
    agent: (id) => `${t}:agent:${id}`,
    agentTypes: () => `${t}:agent-types`,
    control: (type) => `${t}:control:${type}`,
    fleetDrain: (type) => `${t}:fleet-drain:${type}`,

    metrics: () => `${t}:metrics`,
    overviewMinute: (minute) => `${t}:overview:${minute}`,
    modelRate: (provider, model) => `${t}:model-rate:${provider}:${encodeURIComponent(model)}`,
    lease: (name) => `${t}:lease:${name}`,
    apiKey: (id) => `${t}:apikey:${id}`,
    apiKeys: () => `${t}:apikeys`,
    audit: () => `${t}:audit`,
    rateLimitPrefix: () => `${t}:rl:`,
    session: (h) => `${t}:session:${h}`,

    runNotices: () => `${t}:notify:runs`,

    triggers: () => `${t}:triggers`,
    triggerDeliveries: (name) => `${t}:trigger:${name}:deliveries`,
    schedules: () => `${t}:schedules`,
    scheduleState: () => `${t}:schedules:state`,
    notifications: () => `${t}:notifications`,
    notificationOutbox: () => `${t}:notifications:outbox`,
    notificationQueue: () => '_notifications',
    notificationDeliveries: (name) => `${t}:notification:${name}:deliveries`,
    notificationDeliveryOrder: (name) => `${t}:notification:${name}:delivery-order`,
    concurrencyHolders: (key) => `${t}:cc:holders:${key}`,
    concurrencyWaiters: (key) => `${t}:cc:waiters:${key}`,
    concurrencyKeys: () => `${t}:cc:keys`,
  };
}

/**
 * Job ids: `<runId>.<stage>.<dispatch>`, and `<runId>.<stage>.<dispatch>.<item>` for the items of a
 * fan-out stage (BullMQ forbids ':' in custom ids).
 */
export function jobIdFor(runId: string, stage: string, dispatch: number, item: number | null = null): string {
  return item === null ? `${runId}.${stage}.${dispatch}` : `${runId}.${stage}.${dispatch}.${item}`;
}

/** A job's member in the superseded-jobs set (`Keys.supersededJobs`). */
export function supersededMember(agentType: string, jobId: string): string {
  return `${agentType}|${jobId}`;
}

export function parseJobId(jobId: string): { runId: string; stage: string; dispatch: number; item: number | null } | null {
  const m = /^(run_[0-9A-HJKMNP-TV-Z]{26})\.([a-z][a-z0-9_-]{0,39})\.([1-9][0-9]{0,8})(?:\.(0|[1-9][0-9]{0,4}))?$/.exec(jobId);
  return m ? { runId: m[1]!, stage: m[2]!, dispatch: Number(m[3]), item: m[4] === undefined ? null : Number(m[4]) } : null;
}
