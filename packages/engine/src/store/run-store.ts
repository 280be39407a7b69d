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

/** One run of a group created together (RunStore.createMany). */
export interface CreateItem {
  t: Transition;
  idem: IdempotencyClaim | null;
  pipeline: PipelineCheck | null;
}


export type CommitResult = { ok: true; rev: number; removed: ReadonlySet<string> } | { ok: false; reason: 'conflict' | 'missing' | 'slot-busy' };

/** A hash field written with a commit (the resolved input of a stage the transition queues). */
export interface FieldWrite {
  key: string;
  field: string;
  value: string;
}

/** A job a transition no longer wants, to remove in its commit if it is finished (AgentQueues.finishedJobKeys). */
export interface FinishedJobRemoval {
  jobId: string;
  /** The job hash, the queue's completed and failed sets. */
  keys: readonly [string, string, string];
}

const NOTHING_REMOVED: ReadonlySet<string> = new Set();

/** Active runs whose last commit from this process is remembered (see RunStore.recent), and their JSON bytes at most. */
const RECENT_MAX = 4096;
const RECENT_MAX_BYTES = 32 * 1024 * 1024;
/** A document larger than this is read back when needed rather than kept (outputs can be large). */
const RECENT_MAX_DOC_BYTES = 256 * 1024;

/** Persistence of run documents: load, create (idempotent), commit (compare-and-set), delete. */
export class RunStore {
  /** Loads and commits issued together (many results applied at once) share one pipeline. */
  private readonly loads: RedisBatcher<string, LoadedRun | null>;
  private readonly commits: RedisBatcher<{ keys: string[]; args: (string | number)[] }, [number, string]>;
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
      (raw) => (Array.isArray(raw) ? [Number(raw[0]), String(raw[1] ?? '')] : [Number(raw), '']),
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
    const ops = new OpList(this.createKeys(t, idem, pipeline));
    this.writes(ops, null, t);
    const json = JSON.stringify(t.doc);
    const reply = (await callScript(this.redis, 'batonCreateRun', ops.keys, this.createArgs(t, idem, pipeline, json, ops.json()))) as string[];
    return this.created(reply, t, json);
  }

  /**
   * Creates a group of runs in one script call (lua/create-runs.lua), in order, each exactly as
   * `create` would alone: one result per run, or the error that creating that run raised. All of a
   * group's keys must share one hash slot (one partition; see submit-group.ts).
   */
  async createMany(items: CreateItem[]): Promise<(CreateResult | { error: Error })[]> {
    const ops = new OpList([]);
    const args: (string | number)[] = [items.length];
    const jsons: string[] = [];
    for (const { t, idem, pipeline } of items) {
      const fixed = this.createKeys(t, idem, pipeline).map((key) => ops.k(key));
      const start = ops.ops.length;
      this.writes(ops, null, t);
      const json = JSON.stringify(t.doc);
      jsons.push(json);
      args.push(...fixed, ...this.createArgs(t, idem, pipeline, json, ops.jsonFrom(start)));
    }
    const replies = (await callScript(this.redis, 'batonCreateRuns', ops.keys, args)) as string[][];
    return items.map((item, i) => {
      const reply = replies[i] ?? ['error', 'no reply for this run'];
      return reply[0] === 'error' ? { error: new Error(reply[1]) } : this.created(reply, item.t, jsons[i]!);
    });
  }

  /** create-run.lua's KEYS[1..4]. */
  private createKeys(t: Transition, idem: IdempotencyClaim | null, pipeline: PipelineCheck | null): string[] {
    return [
      this.keys.idempotency(idem?.keyHash ?? 'none'),
      this.keys.run(t.doc.id),
      this.keys.pipelines(),
      this.keys.pipelineVersions(pipeline?.name ?? t.doc.pipeline.name),
    ];
  }

  /** create-run.lua's ARGV. */
  private createArgs(t: Transition, idem: IdempotencyClaim | null, pipeline: PipelineCheck | null, json: string, opsJson: string): (string | number)[] {
    return [
      idem ? idem.ttlMs : 0,
      idem?.fingerprint ?? '',
      t.doc.id,
      json,
      opsJson,
      this.keys.run(''),
      this.keys.runNotices(),
      JSON.stringify({ runId: t.doc.id, rev: 1 }),
      pipeline?.name ?? '',
      pipeline?.version ?? 0,
      pipeline?.latest ? 1 : 0,
      pipeline?.createdAt ?? '',
    ];
  }

  private created(reply: string[], t: Transition, json: string): CreateResult {
    if (reply[0] === 'stale') return { created: false, stale: true };
    if (reply[0] === 'created') {
      this.remember({ doc: t.doc, rev: 1 }, json.length);
      return { created: true, runId: reply[1]! };
    }
    return { created: false, runId: reply[1]!, fingerprint: reply[2]!, ...(reply[0] === 'deleted' ? { deleted: true as const } : {}) };
  }

  /**
   * Waits until `replicas` replicas hold every write this connection made so far (Redis WAIT), and
   * returns how many do: for a group of submissions (submit-group.ts), one wait for all its runs.
   * Sent in one pipeline with a command on the runs' slot so that on a cluster it goes to that
   * master (WAIT has no key of its own): for each replayed submission, whose run another connection
   * may have written, `touches` renews its idempotency key first (a replicated write on this
   * connection, so the wait also covers everything written before it, the run included); with
   * nothing to renew, an EXISTS of `runId` (any run of the group). With `WAITAOF` it also waits for
   * the master's own AOF fsync (BATON_ACCEPT_FSYNC). Returns [local fsyncs (1 or 0; 1 for WAIT), replicas].
   */
  async replicatedMany(
    runId: string,
    touches: { keyHash: string; ttlMs: number }[],
    replicas: number,
    timeoutMs: number,
    command: 'WAIT' | 'WAITAOF' = 'WAIT',
  ): Promise<[number, number]> {
    const pipe = this.redis.pipeline();
    for (const touch of touches) pipe.pexpire(this.keys.idempotency(touch.keyHash), touch.ttlMs);
    if (touches.length === 0) pipe.exists(this.keys.run(runId));
    const args = command === 'WAIT' ? [replicas, timeoutMs] : [1, replicas, timeoutMs];
    const res = (await pipe.call(command, ...args).exec()) ?? [];
    const [err, acked] = res[Math.max(1, touches.length)] ?? [new Error(`no reply to ${command}`), 0];
    if (err) throw err;
    if (command === 'WAIT') return [1, Number(acked)];
    const [local, remote] = acked as [number, number];
    return [Number(local), Number(remote)];
  }

  /**
   * Commits `t` iff the run is still at `prev.rev`. `finished`: jobs `t` no longer wants; each one
   * found finished is removed in the same script (so never before the transition that makes its
   * result applied or moot is committed), and reported in `removed`. `fields`: hash fields
   * written in the same script.
   */
  async commit(prev: LoadedRun, t: Transition, finished: readonly FinishedJobRemoval[] = [], fields: readonly FieldWrite[] = []): Promise<CommitResult> {
    return this.commitSlices(prev, [t], finished, fields);
  }

  /**
   * Commits transitions computed one after the other from `prev` (each from the document the one
   * before made) as one compare-and-set: the last document, and every transition's index, event
   * and counter writes in order, as if each had been committed in turn (commit-lane.ts).
   * `finished` and `fields` as for `commit`, for the whole change (prev -> last document).
   */
  async commitSlices(prev: LoadedRun, slices: Transition[], finished: readonly FinishedJobRemoval[] = [], fields: readonly FieldWrite[] = []): Promise<CommitResult> {
    const t = slices[slices.length - 1]!;
    const ops = new OpList([this.keys.run(t.doc.id)]);
    let before = prev.doc;
    for (const s of slices) {
      this.writes(ops, before, s);
      before = s.doc;
    }
    for (const f of fields) ops.hset(f.key, f.field, f.value);
    const json = JSON.stringify(t.doc);
    const removals = finished.map((f) => [ops.key(f.keys[0]), ops.key(f.keys[1]), ops.key(f.keys[2]), f.jobId]);
    const [rev, flags] = await this.commits.call({
      keys: ops.keys,
      args: [
        prev.rev,
        json,
        ops.json(),
        this.keys.runNotices(),
        JSON.stringify({ runId: t.doc.id, rev: 0 }).replace('"rev":0', '"rev":{rev}'),
        ...(removals.length > 0 ? [JSON.stringify(removals)] : []),
      ],
    });
    if (rev <= 0) this.forget(t.doc.id);
    if (rev === -1) return { ok: false, reason: 'conflict' };
    if (rev === -2) return { ok: false, reason: 'slot-busy' };
    if (rev === 0) return { ok: false, reason: 'missing' };
    this.remember({ doc: t.doc, rev }, json.length);
    let removed = NOTHING_REMOVED;
    if (flags.includes('1')) removed = new Set(finished.filter((_, i) => flags[i] === '1').map((f) => f.jobId));
    return { ok: true, rev, removed };
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
