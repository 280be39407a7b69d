import { errorMessage } from '@baton/platform';
import type { EngineContext } from './context.js';
import { EngineError } from './engine-error.js';
import { prepareJob } from './effects.js';
import { liveJobs } from './jobs.js';
import type { QueuedJob } from './queues.js';
import type { Transition } from './reducer.js';
import { retryWaitingSlots } from './slots.js';
import type { CreateResult, IdempotencyClaim, PipelineCheck } from './store/run-store.js';

/**
 * Group commit of submissions. The runs submitted in one event-loop turn (the requests whose
 * handlers reached the store before a `setImmediate`) are stored by ONE create script call
 * (lua/create-runs.lua: each run exactly as alone, in order, with its own reply), acknowledged after
 * ONE `WAIT`/`WAITAOF` covering all of them (with BATON_ACCEPT_REPLICAS / BATON_ACCEPT_FSYNC), and
 * their first jobs go out in ONE BullMQ addBulk per agent type. Each submission keeps its own
 * answer: created, existing (an Idempotency-Key replay, possibly of a run created earlier in the
 * same group), deleted, stale, or its own error.
 *
 * Crash safety is the single path's: a run's first jobs are added only after its create (and its
 * wait) succeeded, and a run whose create committed but whose jobs were never added (crash, failed
 * add, failed wait) is re-dispatched by the reconciler (converge.ts: "stage job missing") after
 * `repairGraceMs`. No caller is answered before the create that stored its run, and the wait, have
 * succeeded.
 *
 * Groups never span partitions: every key of a deployment shares one hash slot today, so a
 * context's submissions are one partition (`partitionOf`); with runs spread over slots, a group is
 * formed per partition.
 */

/** At most this many runs per create script call: a larger burst is split (each call blocks Redis while it runs). */
export const MAX_GROUP = 64;

/** What a submission's create found (the caller still checks a replay's fingerprint). */
export type GroupOutcome = CreateResult;

interface Pending {
  t: Transition;
  idem: IdempotencyClaim | null;
  pipeline: PipelineCheck | null;
  resolve: (r: GroupOutcome) => void;
  reject: (e: unknown) => void;
}

const groups = new WeakMap<EngineContext, SubmitGroups>();

/** The group commit of a context's submissions (one per engine context). */
export function submitGroups(ctx: EngineContext): SubmitGroups {
  let g = groups.get(ctx);
  if (!g) {
    g = new SubmitGroups(ctx);
    groups.set(ctx, g);
  }
  return g;
}

/** The partition a run is stored in: today one per deployment (every key shares `keys.hashTag`). */
const partitionOf = (ctx: EngineContext, _runId: string) => ctx.keys.hashTag;

export class SubmitGroups {
  private readonly pending = new Map<string, Pending[]>();

  constructor(private readonly ctx: EngineContext) {}

  /**
   * Stores a run (with its group), waits for the replicas / fsync the deployment asks for, and, for
   * a run it created, dispatches its first stages; resolves with what the create found. Rejects
   * with the wait's error (REDIS_UNAVAILABLE) or the error that storing this run raised.
   */
  submit(t: Transition, idem: IdempotencyClaim | null, pipeline: PipelineCheck | null): Promise<GroupOutcome> {
    return new Promise<GroupOutcome>((resolve, reject) => {
      const part = partitionOf(this.ctx, t.doc.id);
      let list = this.pending.get(part);
      if (!list) {
        list = [];
        this.pending.set(part, list);
        setImmediate(() => this.flush(part));
      }
      list.push({ t, idem, pipeline, resolve, reject });
    });
  }

  private flush(part: string): void {
    const all = this.pending.get(part) ?? [];
    this.pending.delete(part);
    for (let i = 0; i < all.length; i += MAX_GROUP) void this.commit(all.slice(i, i + MAX_GROUP));
  }

  private async commit(group: Pending[]): Promise<void> {
    const { ctx } = this;
    let results: Awaited<ReturnType<typeof ctx.store.createMany>>;
    try {
      results = await ctx.store.createMany(group);
    } catch (e: unknown) {
      for (const p of group) p.reject(e);
      return;
    }
    // Those answered without waiting: stale, deleted, a replay with another body, their own error.
    const waiting: { p: Pending; r: GroupOutcome }[] = [];
    results.forEach((r, i) => {
      const p = group[i]!;
      if ('error' in r) p.reject(r.error);
      else if ('stale' in r || (!r.created && (r.deleted || (p.idem && r.fingerprint !== p.idem.fingerprint)))) p.resolve(r);
      else waiting.push({ p, r });
    });
    if (waiting.length === 0) return;
    try {
      await this.replicated(waiting);
    } catch (e: unknown) {
      // Not acknowledged: the created runs stay stored and the reconciler dispatches them (as on the single path).
      for (const { p } of waiting) p.reject(e);
      return;
    }
    const created = waiting.filter((w) => w.r.created).map((w) => w.p.t);
    for (const t of created) ctx.log.info({ runId: t.doc.id, pipeline: t.doc.pipeline.name, version: t.doc.pipeline.version }, 'run accepted');
    try {
      await dispatchFirstStages(ctx, created);
    } catch (e: unknown) {
      // dispatchFirstStages logs its own failures; this is a guard so that no request is left unanswered.
      ctx.log.warn({ runIds: created.map((t) => t.doc.id), err: errorMessage(e) }, 'could not dispatch the first stages; the reconciler will retry');
    }
    for (const { p, r } of waiting) p.resolve(r);
  }

  /**
   * An accepted run must survive a failover: with `acceptReplicas` set it is acknowledged only once
   * that many replicas hold it (with `acceptFsync`, once the AOF is fsynced). One wait covers the
   * group: every run it created, and every replayed run (its idempotency key is renewed first, a
   * write on this connection that the wait then covers with everything before it).
   */
  private async replicated(waiting: { p: Pending; r: GroupOutcome }[]): Promise<void> {
    const { acceptReplicas, acceptReplicasTimeoutMs, acceptFsync } = this.ctx.config;
    if (!acceptFsync && acceptReplicas <= 0) return;
    const runId = waiting[0]!.p.t.doc.id;
    const touches = waiting.flatMap(({ p, r }) => (!r.created && p.idem ? [{ keyHash: p.idem.keyHash, ttlMs: p.idem.ttlMs }] : []));
    const runIds = waiting.map(({ p, r }) => ('runId' in r ? r.runId : p.t.doc.id));
    if (acceptFsync) {
      // One WAITAOF covers both: the master's fsync and, with acceptReplicas, that many replicas' fsyncs.
      const [local, remote] = await this.ctx.store.replicatedMany(runId, touches, acceptReplicas, acceptReplicasTimeoutMs, 'WAITAOF');
      if (local < 1 || remote < acceptReplicas) {
        this.ctx.log.warn({ runIds, local, remote, wanted: acceptReplicas }, 'runs not yet fsynced to the AOF; refusing to acknowledge them');
        throw new EngineError('REDIS_UNAVAILABLE', 'the run is not yet fsynced to the AOF; retry (with the same Idempotency-Key)');
      }
      return;
    }
    const [, acked] = await this.ctx.store.replicatedMany(runId, touches, acceptReplicas, acceptReplicasTimeoutMs);
    if (acked < acceptReplicas) {
      this.ctx.log.warn({ runIds, acked, wanted: acceptReplicas }, 'runs not yet on enough replicas; refusing to acknowledge them');
      throw new EngineError('REDIS_UNAVAILABLE', `the run is not yet copied to ${acceptReplicas} replica(s); retry (with the same Idempotency-Key)`);
    }
  }
}

/**
 * Dispatches the first stages of newly created runs: one addBulk per agent type for all their jobs.
 * Failures are logged, not thrown (the runs are stored; the reconciler dispatches what is missing).
 */
async function dispatchFirstStages(ctx: EngineContext, created: Transition[]): Promise<void> {
  const jobs: { runId: string; job: QueuedJob }[] = [];
  await Promise.all(
    created.map(async (t) => {
      const doc = t.doc;
      try {
        if (doc.slots) await retryWaitingSlots(ctx, doc);
      } catch (e: unknown) {
        ctx.log.warn({ runId: doc.id, err: errorMessage(e) }, 'could not ask for a concurrency slot; the reconciler will retry');
      }
      for (const live of liveJobs(doc)) {
        try {
          const job = await prepareJob(ctx, doc, live);
          if (job) jobs.push({ runId: doc.id, job });
        } catch (e: unknown) {
          ctx.log.warn({ runId: doc.id, stage: live.stage, err: errorMessage(e) }, 'could not dispatch stage; the reconciler will retry');
        }
      }
    }),
  );
  if (jobs.length === 0) return;
  try {
    await ctx.queues.addMany(jobs.map((j) => j.job));
  } catch (e: unknown) {
    const err = errorMessage(e);
    for (const { runId, job } of jobs) ctx.log.warn({ runId, stage: job.envelope.stage, err }, 'could not dispatch stage; the reconciler will retry');
  }
}
