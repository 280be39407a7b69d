import {
  checkTaskProtocol,
  MAX_OUTPUT_BYTES,
  PROTOCOL_VERSION,
  TaskEnvelope,
  type JsonValue,
  type ModelUsage,
  type StageError,
  type StageProgress,
  type TaskResult,
} from '@baton/contracts';
import { errorMessage, type Logger } from '@baton/platform';
import { WaitingError, type Job } from 'bullmq';
import type { AgentDefinition, TaskContext } from './define-agent.js';
import type { TaskOutcome } from './agent-metrics.js';
import type { ArtifactWriter } from './artifacts.js';
import type { LiveLogWriter } from './live-log.js';
import { NonRetryableError, StageFailure } from './errors.js';
import type { ModelRuntime } from './model/model-runtime.js';

type AbortKind = 'cancelled' | 'timeout' | 'shutdown' | 'lockLost' | 'budget';

interface ActiveTask {
  jobId: string;
  controller: AbortController;
  kind: AbortKind | null;
  reason: string;
  /**
   * The attempt is over for the outside world (it ended, or its lock was lost so another attempt may
   * be live): its progress and artifacts are dropped from then on.
   */
  over: boolean;
  /** When the runtime gave up on a handler that ignored its abort signal (0: it did not). */
  abandonedAt: number;
  /** Every timer of the task (timeout, progress throttle): all cleared when it ends. */
  timers: Set<NodeJS.Timeout>;
}

export interface TaskRunnerDeps {
  def: AgentDefinition;
  agentId: string;
  version: string;
  log: Logger;
  abortGraceMs: number;
  /** Slots: running attempts plus abandoned handlers never exceed it. */
  concurrency: number;
  /** Called whenever the set of running tasks changes. */
  onActiveChange: (jobIds: string[]) => void;
  /** Makes the live log of one attempt (none: output is dropped). */
  liveLog?: (runId: string, stage: string, dispatch: number, attempt: number, log: () => Logger) => LiveLogWriter;
  /** Makes the artifact writer for one task. */
  artifacts: (runId: string, stage: string) => ArtifactWriter;
  /** Whether the run no longer wants this job (checked before the handler starts: such a job is never executed). */
  superseded?: (jobId: string) => Promise<boolean>;
  /** The model connection, when the agent opted into ctx.model. */
  model?: ModelRuntime | undefined;
  /** Called once per attempt with its outcome and handler time. */
  onFinished?: (outcome: TaskOutcome, seconds: number) => void;
  /**
   * Called when the number of abandoned handlers (still running after the runtime gave up on them)
   * changes: each keeps its concurrency slot until it returns.
   */
  onAbandonedChange?: (abandoned: number) => void;
}

const ABANDONED = Symbol('abandoned');
const PROGRESS_EVERY_MS = 250;

function issuesText(issues: { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/**
 * The BullMQ processor of an agent: validates the task, runs the handler with an AbortSignal (fired
 * on cancel, timeout and shutdown), validates the output and turns the outcome into a TaskResult.
 * Retryable failures with attempts left are thrown so BullMQ retries them with the stage's backoff;
 * final outcomes are returned, so BullMQ stores them atomically with the job's completion.
 */
export class TaskRunner {
  private readonly active = new Map<string, ActiveTask>();
  /** Handlers the runtime gave up on that have not returned yet (their attempt is over). */
  private readonly abandoned = new Set<ActiveTask>();
  private idleWaiters: (() => void)[] = [];
  /** Set when the agent is stopping: a job that still arrives is handed straight back. */
  closing = false;

  constructor(private readonly deps: TaskRunnerDeps) {}

  /** Jobs this agent holds a slot for: running attempts and abandoned handlers still running. */
  activeIds(): string[] {
    return [...new Set([...this.active.keys(), ...[...this.abandoned].map((t) => t.jobId)])];
  }

  /** Abandoned handlers still running. */
  abandonedCount(): number {
    return this.abandoned.size;
  }

  /** When the longest-abandoned handler still running was given up on (epoch ms), or null. */
  oldestAbandonedAt(): number | null {
    let oldest: number | null = null;
    for (const t of this.abandoned) oldest = oldest === null ? t.abandonedAt : Math.min(oldest, t.abandonedAt);
    return oldest;
  }

  /**
   * This agent lost the lock of these jobs (renewal failed: another agent may already run them):
   * their handlers are aborted, and what they still report is dropped.
   */
  lockLost(jobIds: readonly string[]): string[] {
    const lost: string[] = [];
    for (const id of jobIds) {
      const t = this.active.get(id);
      if (!t) continue;
      t.over = true;
      this.abort(t, 'lockLost', 'the job lock was lost (this agent could not renew it; another agent may run the job)');
      lost.push(id);
    }
    return lost;
  }

  /** Aborts a task this agent is running (cancel from the orchestrator). */
  cancel(jobId: string, reason: string): boolean {
    const t = this.active.get(jobId);
    if (!t) return false;
    this.abort(t, 'cancelled', reason);
    return true;
  }

  /** Shutdown could not wait: aborts every task; each goes back to the queue without using an attempt. */
  abandonAll(reason: string): void {
    for (const t of this.active.values()) this.abort(t, 'shutdown', reason);
  }

  /** Resolves when no task is running. */
  idle(): Promise<void> {
    if (this.active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private abort(t: ActiveTask, kind: AbortKind, reason: string): void {
    if (t.kind) return;
    t.kind = kind;
    t.reason = reason;
    t.controller.abort(new Error(reason));
  }

  readonly process = async (job: Job<TaskEnvelope>, token?: string): Promise<TaskResult> => {
    const { def, agentId, version } = this.deps;
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const startedAt = new Date().toISOString();
    const base = { protocol: PROTOCOL_VERSION, agentId, agentVersion: version, attempt, startedAt };
    let usage: () => { usage?: ModelUsage } = () => ({});
    const fail = (error: StageError): TaskResult => ({ ...base, ok: false, error, finishedAt: new Date().toISOString(), ...usage() });

    if (this.closing || this.active.size + this.abandoned.size >= this.deps.concurrency) {
      this.deps.log.debug({ jobId: job.id, closing: this.closing, abandoned: this.abandoned.size }, 'no slot for a just-fetched job (stopping, or slots held by abandoned handlers): handing it back');
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (this.deps.superseded && (await this.deps.superseded(job.id!))) {
      this.deps.log.info({ jobId: job.id }, 'the run no longer wants this job (cancelled, paused or replaced): not executing it');
      // Marked `refused`: the handler never ran (the engine tells this apart from a handler's own CANCELLED).
      const error = { code: 'CANCELLED', message: 'the stage was no longer wanted when an agent took its job', retryable: false };
      return { ...base, ok: false, error, refused: true, finishedAt: new Date().toISOString() };
    }
    const env = TaskEnvelope.safeParse(job.data);
    if (!env.success) {
      return fail({ code: 'PROTOCOL_MISMATCH', message: `unreadable task envelope: ${issuesText(env.error.issues)}`, retryable: false });
    }
    const task = env.data;
    const proto = checkTaskProtocol(task.protocol);
    if (!proto.ok) return fail({ code: 'PROTOCOL_MISMATCH', message: proto.reason, retryable: false });

    // The parent logger already carries agentId and agent (type). The task's child logger is made on
    // first use: at a level that logs nothing per task, a short task never pays for one.
    let child: Logger | undefined;
    const taskLog = (): Logger => (child ??= this.deps.log.child({ runId: task.runId, stage: task.stage, jobId: job.id, attempt }));
    const input = def.input.safeParse(task.input);
    if (!input.success) {
      taskLog().warn({ issues: input.error.issues.slice(0, 5) }, 'task input rejected');
      return fail({
        code: 'INVALID_INPUT',
        message: `input does not match the ${def.type} agent's schema: ${issuesText(input.error.issues)}`,
        retryable: false,
        details: { issues: input.error.issues.slice(0, 20).map((i) => ({ path: i.path.map(String), message: i.message })) },
      });
    }

    const t: ActiveTask = { jobId: job.id!, controller: new AbortController(), kind: null, reason: '', over: false, abandonedAt: 0, timers: new Set() };
    this.active.set(job.id!, t);
    this.deps.onActiveChange(this.activeIds());
    const progress = this.progressReporter(job, taskLog, t);
    const live = this.deps.liveLog?.(task.runId, task.stage, task.dispatch, attempt, taskLog) ?? null;
    const model = this.deps.model?.session({
      signal: t.controller.signal,
      progress,
      // Streamed model text goes to the stage's live log too (dropped once the attempt is over).
      ...(live ? { output: (text: string) => (t.over ? undefined : live.write(text)) } : {}),
      log: taskLog,
      task,
      overBudget: (reason) => this.abort(t, 'budget', reason),
    });
    usage = () => (model && model.usage().calls > 0 ? { usage: model.usage() } : {});
    t.timers.add(setTimeout(() => this.abort(t, 'timeout', `stage timed out after ${task.timeoutMs} ms`), task.timeoutMs));
    const info = this.deps.log.isLevelEnabled('info');
    if (info) taskLog().info('task started');
    let liveOutcome = 'failed';
    try {
      const ctx: TaskContext<unknown> = {
        input: input.data,
        signal: t.controller.signal,
        get log() {
          return taskLog();
        },
        progress,
        runId: task.runId,
        stage: task.stage,
        pipeline: task.pipeline,
        jobId: job.id!,
        attempt,
        maxAttempts,
        agentId,
        upstream: task.upstream,
        labels: task.labels,
        ...(task.item ? { item: task.item.value, itemIndex: task.item.index } : {}),
        artifacts: this.attemptArtifacts(task.runId, task.stage, t),
        ...(model ? { model } : {}),
        // Once the attempt is over (ended, abandoned, lock lost) its output is dropped.
        output: live ? { write: (text) => (t.over ? undefined : live.write(text)), redact: (secret) => live.redact(secret) } : { write: () => undefined, redact: () => undefined },
      };
      const outcome = await this.runHandler(ctx, t);

      if (outcome !== ABANDONED && outcome.ok) {
        const out = def.output.safeParse(outcome.value);
        if (!out.success) {
          taskLog().error({ issues: out.error.issues.slice(0, 5) }, 'handler output rejected');
          return fail({ code: 'INVALID_OUTPUT', message: `output does not match the ${def.type} agent's schema: ${issuesText(out.error.issues)}`, retryable: false });
        }
        const size = Buffer.byteLength(JSON.stringify(out.data) ?? 'null');
        if (size > MAX_OUTPUT_BYTES) {
          return fail({ code: 'OUTPUT_TOO_LARGE', message: `output is ${size} bytes; the limit is ${MAX_OUTPUT_BYTES} (store large results as artifacts)`, retryable: false });
        }
        if (info) taskLog().info({ durationMs: Date.now() - Date.parse(startedAt) }, 'task succeeded');
        this.finished('succeeded', startedAt);
        liveOutcome = 'succeeded';
        return { ...base, ok: true, output: out.data as JsonValue, finishedAt: new Date().toISOString(), ...usage() };
      }

      if (t.kind === 'shutdown') {
        // Hand the task back without using an attempt; another agent picks it up.
        taskLog().warn({ reason: t.reason }, 'task handed back to the queue');
        this.finished('handed_back', startedAt);
        await this.carryUsage(job, task, usage().usage, taskLog);
        await job.moveToWait(token);
        throw new WaitingError();
      }
      const error = this.classify(t, outcome === ABANDONED ? ABANDONED : outcome.error);
      if (error.retryable && attempt < maxAttempts) {
        taskLog().warn({ code: error.code, err: error.message, maxAttempts }, 'attempt failed; will retry');
        this.finished('retried', startedAt);
        // The next attempt starts from this one's spend, so the final result carries every attempt's.
        await this.carryUsage(job, task, usage().usage, taskLog);
        throw new Error(`${error.code}: ${error.message}`);
      }
      taskLog().warn({ code: error.code, err: error.message }, 'task failed');
      this.finished('failed', startedAt);
      return fail(error);
    } finally {
      t.over = true;
      for (const timer of t.timers) clearTimeout(timer);
      t.timers.clear();
      await live?.close(liveOutcome);
      this.active.delete(job.id!);
      this.deps.onActiveChange(this.activeIds());
      if (this.active.size === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        waiters.forEach((w) => w());
      }
    }
  };

  /** Stores an attempt's model spend in the job, so the next attempt (and the final result) includes it. */
  private async carryUsage(job: Job<TaskEnvelope>, task: TaskEnvelope, spent: ModelUsage | undefined, log: () => Logger): Promise<void> {
    if (!spent) return;
    await job.updateData({ ...task, priorUsage: spent }).catch((e: unknown) => log().warn({ err: errorMessage(e) }, 'could not carry model usage to the next attempt'));
  }

  private finished(outcome: TaskOutcome, startedAt: string): void {
    this.deps.onFinished?.(outcome, (Date.now() - Date.parse(startedAt)) / 1000);
  }

  /** Runs the handler; once aborted, waits at most abortGraceMs for it to return. */
  private async runHandler(ctx: TaskContext<unknown>, t: ActiveTask): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown } | typeof ABANDONED> {
    const handler = Promise.resolve()
      .then(() => this.deps.def.handler(ctx))
      .then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      );
    let graceTimer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<typeof ABANDONED>((resolve) => {
      const onAbort = () => {
        graceTimer = setTimeout(() => resolve(ABANDONED), this.deps.abortGraceMs);
      };
      if (t.controller.signal.aborted) onAbort();
      else t.controller.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const r = await Promise.race([handler, gaveUp]);
      if (r === ABANDONED) {
        ctx.log.warn({ graceMs: this.deps.abortGraceMs }, 'handler ignored its abort signal; giving up on it (it keeps its slot until it returns)');
        this.holdSlot(t, handler, ctx.log);
      }
      return r;
    } finally {
      clearTimeout(graceTimer);
    }
  }

  /** An abandoned handler keeps a concurrency slot until it really returns. */
  private holdSlot(t: ActiveTask, handler: Promise<unknown>, log: Logger): void {
    t.over = true;
    t.abandonedAt = Date.now();
    this.abandoned.add(t);
    this.deps.onAbandonedChange?.(this.abandoned.size);
    void handler.finally(() => {
      this.abandoned.delete(t);
      log.info({ abandonedForMs: Date.now() - t.abandonedAt }, 'an abandoned handler returned; its slot is free');
      this.deps.onAbandonedChange?.(this.abandoned.size);
      this.deps.onActiveChange(this.activeIds());
    });
  }

  /** The task's artifact writer, closed once the attempt is over (a superseded attempt's files are refused). */
  private attemptArtifacts(runId: string, stage: string, t: ActiveTask): ArtifactWriter {
    const writer = this.deps.artifacts(runId, stage);
    const refuse = () => new NonRetryableError('ATTEMPT_OVER', 'this attempt is over (ended, abandoned or its lock lost): its artifacts are dropped');
    return {
      async save(name, data, contentType) {
        if (t.over) throw refuse();
        const meta = await writer.save(name, data, contentType);
        return meta;
      },
    };
  }

  private classify(t: ActiveTask, error: unknown): StageError {
    if (t.kind === 'cancelled') return { code: 'CANCELLED', message: t.reason || 'cancelled', retryable: false };
    if (t.kind === 'budget') return { code: 'RUN_BUDGET_EXCEEDED', message: t.reason, retryable: false };
    if (t.kind === 'timeout') return { code: 'STAGE_TIMEOUT', message: t.reason, retryable: true };
    if (t.kind === 'lockLost') return { code: 'LOCK_LOST', message: t.reason, retryable: true };
    if (error === ABANDONED) return { code: 'HANDLER_ERROR', message: 'handler did not finish', retryable: true };
    if (error instanceof StageFailure) {
      return { code: error.code, message: error.message.slice(0, 4096), retryable: error.retryable, ...(error.details ? { details: error.details } : {}) };
    }
    return { code: 'HANDLER_ERROR', message: errorMessage(error).slice(0, 4096), retryable: true };
  }

  /** Throttled progress; nothing is sent once the attempt is over (a later attempt may own the job). */
  private progressReporter(job: Job, log: () => Logger, t: ActiveTask): (p: number | StageProgress) => void {
    let last = 0;
    let pending: StageProgress | null = null;
    let timer: NodeJS.Timeout | null = null;
    const send = () => {
      if (timer) t.timers.delete(timer);
      timer = null;
      if (!pending || t.over) return;
      const p = pending;
      pending = null;
      last = Date.now();
      job
        .updateProgress(p)
        .catch((e: unknown) => log().debug({ err: errorMessage(e) }, 'progress update failed'));
    };
    return (p) => {
      if (t.over) return;
      pending = typeof p === 'number' ? { percent: Math.max(0, Math.min(100, p)) } : p;
      const wait = PROGRESS_EVERY_MS - (Date.now() - last);
      if (wait <= 0) send();
      else if (!timer) {
        timer = setTimeout(send, wait);
        t.timers.add(timer);
      }
    };
  }
}
