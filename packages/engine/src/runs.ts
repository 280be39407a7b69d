import { createHash } from 'node:crypto';
import type { JsonValue, PipelineDefinition, RunRequest, SecretUser } from '@baton/contracts';
import { validateDefinition } from './validate.js';
import { admitActiveRuns, admitSubmission } from './admission/admission.js';
import { claimApps } from './admission/app-owners.js';
import { canonicalJson } from './canonical-json.js';
import type { EngineContext } from './context.js';
import { applyEffects } from './effects.js';
import { submitGroups } from './submit-group.js';
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
    const resolved = await resolvePipeline(pipelines, knownAgents, req, attempt > 0);
    const { pipeline, check } = resolved;
    // A request's own budget replaces the pipeline's (control/budget.ts reads it from the definition).
    const definition = req.budget ? { ...resolved.definition, budget: req.budget } : resolved.definition;
    admitSubmission(ctx, definition, req.input, user);
    if (attempt === 0) await admitActiveRuns(ctx, createdBy, idem?.keyHash ?? null);
    await claimApps(ctx, definition, req.input, user);
    const now = ctx.now();
    const t = createRun({ id: newRunId(now), pipeline, definition, input: req.input, labels: req.labels ?? {}, now, createdBy,
      ...(req.priority !== undefined ? { priority: req.priority } : {}),
      ...(req.deadlineMs !== undefined ? { deadlineMs: req.deadlineMs } : {}),
    });
    // Stored with the submissions of the same event-loop turn (submit-group.ts): one script, one
    // wait for replicas / fsync, one addBulk of the first stages; this request keeps its own answer.
    const r = await submitGroups(ctx).submit(t, idem, check);
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
      return { doc: existing.doc, created: false };
    }
    return { doc: t.doc, created: true };
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
