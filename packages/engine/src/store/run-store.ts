import { TERMINAL_RUN_STATUSES, type Keys } from '@baton/contracts';
import { RedisBatcher, type RedisClient } from '@baton/platform';
import type { Transition } from '../reducer.js';
import { readDoc, type RunDoc } from '../run-doc.js';
import { staticIndexKeys } from '../run-finder.js';
import { metricDeltas } from './counters.js';
import { OpList } from './ops.js';
import { overviewWrites } from './overview-writes.js';
import { HELD_SCORE, heldJobs, rewantedJobs, supersededJobs } from '../superseded.js';
import { notableEvents, OUTBOX_MAX_LEN } from '../outbox/notable-events.js';
import { slotWrites } from './slot-writes.js';
import { callScript, pipeScript, withScripts } from './scripts.js';

export interface LoadedRun {
  doc: RunDoc;
  rev: number;
}

export interface IdempotencyClaim {
  keyHash: string;
  fingerprint: string;
  ttlMs: number;
}

/** The registered pipeline version a run was built from, to be checked against Redis as the run is stored. */
export interface PipelineCheck {
  name: string;
  version: number;
  /** The version's registration time: with the number it names the version even if Redis lost and re-registered it. */
  createdAt: string;
  /** The run asked for the latest version (no explicit version): it must still be the latest. */
  latest: boolean;
}

export type CreateResult =
  | { created: true; runId: string }
  | { created: false; runId: string; fingerprint: string; deleted?: true }
  /** The pipeline version the run was built from is no longer current (or gone): nothing was written. */
  | { created: false; stale: true };

export type CommitResult = { ok: true; rev: number } | { ok: false; reason: 'conflict' | 'missing' | 'slot-busy' };

/** Active runs whose last commit from this process is remembered (see RunStore.recent), and their JSON bytes at most. */
const RECENT_MAX = 4096;
const RECENT_MAX_BYTES = 32 * 1024 * 1024;
/** A document larger than this is read back when needed rather than kept (outputs can be large). */
const RECENT_MAX_DOC_BYTES = 256 * 1024;

/** Persistence of run documents: load, create (idempotent), commit (compare-and-set), delete. */
export class RunStore {
  /** Loads and commits issued together (many results applied at once) share one pipeline. */
  private readonly loads: RedisBatcher<string, LoadedRun | null>;
  private readonly commits: RedisBatcher<{ keys: string[]; args: (string | number)[] }, number>;
  /** Run id -> the document and revision this process last committed, while the run is active. */
  private readonly remembered = new Map<string, { run: LoadedRun; bytes: number }>();
  private rememberedBytes = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly eventsMaxLen: number,
  ) {
    this.loads = new RedisBatcher(
      redis,
      (pipe, runId) => pipe.hmget(this.keys.run(runId), 'rev', 'doc'),
      (raw) => {
        const [rev, doc] = raw as (string | null)[];
        return rev == null || doc == null ? null : { rev: Number(rev), doc: readDoc(doc) };
      },
    );
    withScripts(redis);
    this.commits = new RedisBatcher(
      redis,
      (pipe, c) => pipeScript(pipe, 'batonCommitRun', c.keys, c.args),
      (raw) => Number(raw),
    );
  }

  load(runId: string): Promise<LoadedRun | null> {
    return this.loads.call(runId);
  }

  /**
   * The run as this process last committed it (null: not remembered), to compute the next
   * transition without reading it back: the commit's revision check still decides, so a copy that
   * another orchestrator made stale costs one refused commit and a fresh load (mutate.ts). Only for
   * transitions, never handed out: the reducers copy before changing (run-doc.ts copyDoc).
   */
  recent(runId: string): LoadedRun | null {
    return this.remembered.get(runId)?.run ?? null;
  }

  private forget(runId: string): void {
    const had = this.remembered.get(runId);
    if (!had) return;
    this.remembered.delete(runId);
    this.rememberedBytes -= had.bytes;
  }

  /** `bytes`: the length of the document's JSON (as committed). */
  private remember(run: LoadedRun, bytes: number): void {
    const id = run.doc.id;
    this.forget(id);
    if (TERMINAL_RUN_STATUSES.has(run.doc.status) || bytes > RECENT_MAX_DOC_BYTES) return;
    this.remembered.set(id, { run, bytes });
    this.rememberedBytes += bytes;
    while (this.remembered.size > RECENT_MAX || this.rememberedBytes > RECENT_MAX_BYTES) this.forget(this.remembered.keys().next().value!);
  }

  async loadMany(runIds: string[]): Promise<(LoadedRun | null)[]> {
    if (runIds.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of runIds) pipe.hmget(this.keys.run(id), 'rev', 'doc');
    const results = (await pipe.exec()) ?? [];
    return results.map(([err, value]) => {
      if (err) throw err;
      const [rev, doc] = value as (string | null)[];
      return rev && doc ? { rev: Number(rev), doc: readDoc(doc) } : null;
    });
  }

  async create(t: Transition, idem: IdempotencyClaim | null, pipeline: PipelineCheck | null = null): Promise<CreateResult> {
    const ops = new OpList([
      this.keys.idempotency(idem?.keyHash ?? 'none'),
      this.keys.run(t.doc.id),
      this.keys.pipelines(),
      this.keys.pipelineVersions(pipeline?.name ?? t.doc.pipeline.name),
    ]);
    this.writes(ops, null, t);
    const prefix = this.keys.run('');
    const json = JSON.stringify(t.doc);
    const reply = (await callScript(this.redis, 'batonCreateRun', ops.keys, [
      idem ? idem.ttlMs : 0,
      idem?.fingerprint ?? '',
      t.doc.id,
      json,
      ops.json(),
      prefix,
      this.keys.runNotices(),
      JSON.stringify({ runId: t.doc.id, rev: 1 }),
      pipeline?.name ?? '',
      pipeline?.version ?? 0,
      pipeline?.latest ? 1 : 0,
      pipeline?.createdAt ?? '',
    ])) as string[];
    if (reply[0] === 'stale') return { created: false, stale: true };
    if (reply[0] === 'created') {
      this.remember({ doc: t.doc, rev: 1 }, json.length);
      return { created: true, runId: reply[1]! };
    }
    return { created: false, runId: reply[1]!, fingerprint: reply[2]!, ...(reply[0] === 'deleted' ? { deleted: true as const } : {}) };
  }

  /**
   * Waits until `replicas` replicas hold every write this connection made so far (Redis WAIT), and
   * returns how many do. Sent in one pipeline with a command on the run's slot so that on a cluster
   * it goes to that master (WAIT has no key of its own). For a replayed submission, whose run another
   * connection may have written, `touch` renews the idempotency key first: a replicated write on
   * this connection, so WAIT also covers everything written before it, the run included.
   * With `WAITAOF` it also waits for the master's own AOF fsync (BATON_ACCEPT_FSYNC). Returns
   * [local fsyncs (1 or 0; 1 for WAIT), replicas].
   */
  async replicated(
    runId: string,
    replicas: number,
    timeoutMs: number,
    touch?: { keyHash: string; ttlMs: number },
    command: 'WAIT' | 'WAITAOF' = 'WAIT',
  ): Promise<[number, number]> {
    const pipe = this.redis.pipeline();
    if (touch) pipe.pexpire(this.keys.idempotency(touch.keyHash), touch.ttlMs);
    else pipe.exists(this.keys.run(runId));
    const args = command === 'WAIT' ? [replicas, timeoutMs] : [1, replicas, timeoutMs];
    const res = (await pipe.call(command, ...args).exec()) ?? [];
    const [err, acked] = res[1] ?? [new Error(`no reply to ${command}`), 0];
    if (err) throw err;
    if (command === 'WAIT') return [1, Number(acked)];
    const [local, remote] = acked as [number, number];
    return [Number(local), Number(remote)];
  }

  async commit(prev: LoadedRun, t: Transition): Promise<CommitResult> {
    return this.commitSlices(prev, [t]);
  }

  /**
   * Commits transitions computed one after the other from `prev` (each from the document the one
   * before made) as one compare-and-set: the last document, and every transition's index, event
   * and counter writes in order, as if each had been committed in turn (commit-lane.ts).
   */
  async commitSlices(prev: LoadedRun, slices: Transition[]): Promise<CommitResult> {
    const t = slices[slices.length - 1]!;
    const ops = new OpList([this.keys.run(t.doc.id)]);
    let before = prev.doc;
    for (const s of slices) {
      this.writes(ops, before, s);
      before = s.doc;
    }
    const json = JSON.stringify(t.doc);
    const rev = await this.commits.call({
      keys: ops.keys,
      args: [prev.rev, json, ops.json(), this.keys.runNotices(), JSON.stringify({ runId: t.doc.id, rev: 0 }).replace('"rev":0', '"rev":{rev}')],
    });
    if (rev <= 0) this.forget(t.doc.id);
    if (rev === -1) return { ok: false, reason: 'conflict' };
    if (rev === -2) return { ok: false, reason: 'slot-busy' };
    if (rev === 0) return { ok: false, reason: 'missing' };
    this.remember({ doc: t.doc, rev }, json.length);
    return { ok: true, rev };
  }

  /**
   * Deletes a finished run and its index entries, unless it changed since `run` was loaded or is not
   * finished in Redis (checked in the script, atomically: a retry may have made it active again).
   */
  async delete(run: LoadedRun): Promise<boolean> {
    const { doc } = run;
    const ops = new OpList([this.keys.run(doc.id), this.keys.runArtifacts(doc.id), this.keys.artifactRefs(), this.keys.artifactGarbage()])
      .del(this.keys.runEvents(doc.id))
      .del(this.keys.runInputs(doc.id))
      .zrem(this.keys.runsByCreated(), doc.id)
      .zrem(this.keys.runsByStatus(doc.status), doc.id)
      .zrem(this.keys.runsByPipeline(doc.pipeline.name), doc.id)
      .zrem(this.keys.runsActive(), doc.id)
      .zrem(this.keys.runsFinished(), doc.id);
    for (const index of staticIndexKeys(this.keys, doc)) ops.zrem(index, doc.id);
    for (const [stage, st] of Object.entries(doc.stages)) for (let d = 1; d <= st.dispatch; d++) ops.del(this.keys.stageLog(doc.id, stage, d));
    const r = (await callScript(this.redis, 'batonDeleteRun', ops.keys, [run.rev, ops.json(), `,${[...TERMINAL_RUN_STATUSES].join(',')},`])) as number;
    return r === 1;
  }

  /** Index, event and counter writes that accompany a transition from `prev` (null: creation) to `t.doc`. */
  private writes(ops: OpList, prev: RunDoc | null, t: Transition): void {
    const k = this.keys;
    const next = t.doc;
    if (prev === null) {
      ops.zadd(k.runsByCreated(), 0, next.id).zadd(k.runsByPipeline(next.pipeline.name), 0, next.id);
      for (const index of staticIndexKeys(k, next)) ops.zadd(index, 0, next.id);
    }
    if (prev?.status !== next.status) {
      if (prev) ops.zrem(k.runsByStatus(prev.status), next.id);
      ops.zadd(k.runsByStatus(next.status), 0, next.id);
    }
    const wasActive = prev !== null && !TERMINAL_RUN_STATUSES.has(prev.status);
    const isActive = !TERMINAL_RUN_STATUSES.has(next.status);
    if (isActive && !wasActive) ops.zadd(k.runsActive(), next.createdAt, next.id).zrem(k.runsFinished(), next.id);
    if (!isActive && (wasActive || prev === null)) ops.zrem(k.runsActive(), next.id).zadd(k.runsFinished(), next.finishedAt ?? next.updatedAt, next.id);
    const heldBefore = prev ? heldJobs(prev) : new Set<string>();
    const heldAfter = heldJobs(next);
    for (const member of heldBefore) if (!heldAfter.has(member)) ops.zrem(k.supersededJobs(), member);
    for (const member of heldAfter) if (!heldBefore.has(member)) ops.zadd(k.supersededJobs(), HELD_SCORE, member);
    if (prev) for (const member of rewantedJobs(prev, next)) ops.zrem(k.supersededJobs(), member);
    // After the releases: a job superseded by this very commit stays recorded.
    if (prev) for (const member of supersededJobs(prev, next)) ops.zadd(k.supersededJobs(), next.updatedAt, member);
    slotWrites(ops, k, prev, next);
    for (const e of t.events) ops.xadd(k.runEvents(next.id), this.eventsMaxLen, JSON.stringify(e));
    // The notification outbox (orchestrator/src/notifications): in this same commit, never lost after it.
    for (const entry of notableEvents(next, t.events)) ops.xadd(k.notificationOutbox(), OUTBOX_MAX_LEN, JSON.stringify(entry));
    const m = metricDeltas(next, t.events);
    for (const [field, n] of m.ints) ops.hincrby(k.metrics(), field, n);
    for (const [field, x] of m.floats) ops.hincrbyfloat(k.metrics(), field, x);
    // The overview page's per-minute series (overview-writes.ts): only when runs or stages finish.
    overviewWrites(ops, k, next, t.events);
  }
}
