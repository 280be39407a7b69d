import { createHash } from 'node:crypto';
import type { JsonValue, PipelineDefinition, RunRequest, SecretUser } from '@baton/contracts';
import { validateDefinition } from './validate.js';
import { admitActiveRuns, admitSubmission } from './admission/admission.js';
import { claimApps } from './admission/app-owners.js';
import { canonicalJson } from './canonical-json.js';
import type { EngineContext } from './context.js';
import { applyEffects, dispatchJob } from './effects.js';
import { liveJobs } from './jobs.js';
import { retryWaitingSlots } from './slots.js';
import { EngineError } from './engine-error.js';
import { newRunId } from './ids.js';
import { mutateRun } from './mutate.js';
import type { PipelineRegistry } from './pipelines.js';
import { cancel, createRun, deliverSignal, pause, resume, retry, type Transition } from './reducer.js';
import type { RunDoc } from './run-doc.js';
import type { PipelineCheck } from './store/run-store.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export interface SubmitResult {
  doc: RunDoc;
  created: boolean;
}

/** How often a submission re-reads a pipeline that changed between reading it and storing the run. */
const STALE_PIPELINE_RETRIES = 5;

interface Resolved {
  pipeline: { name: string; version: number | null };
  definition: PipelineDefinition;
  check: PipelineCheck | null;
}

/**
 * The pipeline a request names, from this process's copy when it has one (the copy is checked
 * against Redis when the run is stored), otherwise read from Redis; or its inline definition.
 */
async function resolvePipeline(pipelines: PipelineRegistry, knownAgents: (needed: string[]) => Promise<Set<string>>, req: RunRequest, fresh: boolean): Promise<Resolved> {
  if (req.pipeline !== undefined) {
    const view = (fresh ? undefined : pipelines.cached(req.pipeline, req.version)) ?? (await pipelines.get(req.pipeline, req.version));
    if (!view) {
      const what = req.version === undefined ? `"${req.pipeline}"` : `"${req.pipeline}" version ${req.version}`;
      throw new EngineError('PIPELINE_NOT_FOUND', `no pipeline ${what} is registered`);
    }
    return {
      pipeline: { name: view.name, version: view.version },
      definition: view.definition,
      check: { name: view.name, version: view.version, createdAt: view.createdAt, latest: req.version === undefined },
    };
  }
  const definition = req.definition!;
  const issues = validateDefinition(definition, await knownAgents(definition.stages.map((s) => s.agent)));
  if (issues.length > 0) {
    throw new EngineError(
      'INVALID_PIPELINE',
      `the pipeline definition is invalid: ${issues[0]!.message}`,
      issues.map((i) => ({ ...i, path: ['definition', ...i.path] })),
    );
  }
  return { pipeline: { name: 'inline', version: null }, definition, check: null };
}

/** Accepts a run: resolves its pipeline, validates it, stores it (idempotently) and dispatches its first stages. */
export async function submitRun(
  ctx: EngineContext,
  pipelines: PipelineRegistry,
  knownAgents: (needed: string[]) => Promise<Set<string>>,
  req: RunRequest,
  idempotencyKey?: string,
  createdBy: string | null = null,
  user: SecretUser | null = null,
): Promise<SubmitResult> {
  const idem = idempotencyKey
    ? // Scoped per API key: two callers choosing the same key never see each other's runs.
      { keyHash: sha256(`${createdBy ?? ''}\n${idempotencyKey}`), fingerprint: sha256(canonicalJson(req)), ttlMs: ctx.config.idempotencyTtlMs }
    : null;
  for (let attempt = 0; ; attempt++) {
    const { pipeline, definition, check } = await resolvePipeline(pipelines, knownAgents, req, attempt > 0);
    admitSubmission(ctx, definition, req.input, user);
    if (attempt === 0) await admitActiveRuns(ctx, createdBy, idem?.keyHash ?? null);
    await claimApps(ctx, definition, req.input, user);
    const now = ctx.now();
    const t = createRun({ id: newRunId(now), pipeline, definition, input: req.input, labels: req.labels ?? {}, now, createdBy,
      ...(req.priority !== undefined ? { priority: req.priority } : {}),
      ...(req.deadlineMs !== undefined ? { deadlineMs: req.deadlineMs } : {}),
    });
    const r = await ctx.store.create(t, idem, check);
    if ('stale' in r) {
      if (attempt < STALE_PIPELINE_RETRIES) continue;
      throw new EngineError('REDIS_UNAVAILABLE', `pipeline "${pipeline.name}" keeps changing while the run is stored; retry`);
    }
    if (!r.created) {
      if (idem && r.fingerprint !== idem.fingerprint) {
        throw new EngineError('IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was already used with a different request body');
      }
      if (r.deleted) {
        throw new EngineError('IDEMPOTENCY_RUN_DELETED', `this Idempotency-Key's run ${r.runId} was deleted by retention; the key is spent until it expires (use a new key)`);
      }
      const existing = await ctx.store.load(r.runId);
      if (!existing) throw new EngineError('INTERNAL', `run ${r.runId} vanished`);
      await ensureReplicated(ctx, r.runId, idem ?? undefined);
      return { doc: existing.doc, created: false };
    }
    await ensureReplicated(ctx, r.runId);
    ctx.log.info({ runId: t.doc.id, pipeline: pipeline.name, version: pipeline.version }, 'run accepted');
    await dispatchNew(ctx, t);
    return { doc: t.doc, created: true };
  }
}

/**
 * An accepted run must survive a failover: with `acceptReplicas` set, it is acknowledged only once
 * that many replicas hold it. Otherwise the client gets a 503 and retries (with its Idempotency-Key
 * the retry finds the same run, or creates it anew on the new master if the old one lost it).
 */
async function ensureReplicated(ctx: EngineContext, runId: string, replayOf?: { keyHash: string; ttlMs: number }): Promise<void> {
  const { acceptReplicas, acceptReplicasTimeoutMs, acceptFsync } = ctx.config;
  if (acceptFsync) {
    // One WAITAOF covers both: the master's fsync and, with acceptReplicas, that many replicas' fsyncs.
    const [local, remote] = await ctx.store.replicated(runId, acceptReplicas, acceptReplicasTimeoutMs, replayOf, 'WAITAOF');
    if (local < 1 || remote < acceptReplicas) {
      ctx.log.warn({ runId, local, remote, wanted: acceptReplicas }, 'run not yet fsynced to the AOF; refusing to acknowledge it');
      throw new EngineError('REDIS_UNAVAILABLE', 'the run is not yet fsynced to the AOF; retry (with the same Idempotency-Key)');
    }
    return;
  }
  if (acceptReplicas <= 0) return;
  const [, acked] = await ctx.store.replicated(runId, acceptReplicas, acceptReplicasTimeoutMs, replayOf);
  if (acked < acceptReplicas) {
    ctx.log.warn({ runId, acked, wanted: acceptReplicas }, 'run not yet on enough replicas; refusing to acknowledge it');
    throw new EngineError('REDIS_UNAVAILABLE', `the run is not yet copied to ${acceptReplicas} replica(s); retry (with the same Idempotency-Key)`);
  }
}

async function dispatchNew(ctx: EngineContext, t: Transition): Promise<void> {
  if (t.doc.slots) {
    try {
      await retryWaitingSlots(ctx, t.doc);
    } catch (e: unknown) {
      ctx.log.warn({ runId: t.doc.id, err: e instanceof Error ? e.message : String(e) }, 'could not ask for a concurrency slot; the reconciler will retry');
    }
  }
  for (const job of liveJobs(t.doc)) {
    try {
      await dispatchJob(ctx, t.doc, job);
    } catch (e: unknown) {
      ctx.log.warn({ runId: t.doc.id, stage: job.stage, err: e instanceof Error ? e.message : String(e) }, 'could not dispatch stage; the reconciler will retry');
    }
  }
}

type Command = (doc: RunDoc, now: number) => Transition;

async function command(ctx: EngineContext, runId: string, fn: Command, what: string): Promise<RunDoc> {
  const committed = await mutateRun(ctx, runId, fn);
  if (!committed) throw new EngineError('RUN_NOT_FOUND', `no run ${runId}`);
  ctx.log.info({ runId, action: what, status: committed.next.doc.status }, 'run command applied');
  await applyEffects(ctx, committed);
  return committed.next.doc;
}

export const cancelRun = (ctx: EngineContext, runId: string, reason: string | null) =>
  command(ctx, runId, (d, now) => cancel(d, reason, now), 'cancel');
export const pauseRun = (ctx: EngineContext, runId: string) => command(ctx, runId, (d, now) => pause(d, now), 'pause');
export const resumeRun = (ctx: EngineContext, runId: string) => command(ctx, runId, (d, now) => resume(d, now), 'resume');
export const retryRun = (ctx: EngineContext, runId: string, fromStage: string | undefined) =>
  command(ctx, runId, (d, now) => retry(d, fromStage, now), 'retry');

export { decodeCursor, encodeCursor, findRuns as listRuns } from './run-finder.js';

/** Events of a run after a stream id ("0" for all), oldest first. */
export async function readEvents(ctx: EngineContext, runId: string, afterId: string, count = 500): Promise<{ id: string; json: string }[]> {
  const entries = await ctx.redis.xrange(ctx.keys.runEvents(runId), `(${afterId}`, '+', 'COUNT', count);
  return entries.map(([id, fields]) => ({ id, json: fields[1] ?? 'null' }));
}

/** Sends a signal to a run (control/signal.ts); the queues then follow (the next stages start). */
export async function signalRun(ctx: EngineContext, runId: string, name: string, payload: JsonValue): Promise<{ doc: RunDoc; delivered: string[]; buffered: boolean }> {
  let r: { delivered: string[]; buffered: boolean } = { delivered: [], buffered: false };
  const committed = await mutateRun(ctx, runId, (d, now) => {
    const t = deliverSignal(d, { name, payload }, now);
    r = { delivered: t.delivered, buffered: t.buffered };
    return t;
  });
  if (!committed) throw new EngineError('RUN_NOT_FOUND', `no run ${runId}`);
  ctx.log.info({ runId, signal: name, ...r }, 'signal delivered');
  await applyEffects(ctx, committed);
  return { doc: committed.next.doc, ...r };
}
