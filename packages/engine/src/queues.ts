import type { Keys, TaskEnvelope } from '@baton/contracts';
import { Queue, type Job, type JobsOptions } from 'bullmq';
import type { RedisClient } from '@baton/platform';
import type { StageDefinition } from '@baton/contracts';
import { callScript } from './store/scripts.js';

/** What taking a job back off its queue found (lua/take-back-job.lua). */
export interface TakeBack {
  outcome: 'removed' | 'missing' | 'completed' | 'failed' | 'active';
  /** The job's finished attempts, as BullMQ counts them (0 when missing). */
  attemptsMade: number;
}

export type JobStateName = 'completed' | 'failed' | 'active' | 'delayed' | 'prioritized' | 'waiting' | 'waiting-children' | 'unknown';

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  prioritized: number;
}

/** A stage's (or item's) job as it is added to its agent's queue (AgentQueues.add / addMany). */
export interface QueuedJob {
  envelope: TaskEnvelope;
  jobId: string;
  stage: StageDefinition;
  priority: number | undefined;
  /** Attempts spent by earlier dispatches of the same stage (see AgentQueues.add). */
  attemptsUsed: number;
}

/**
 * Events BullMQ keeps in each queue's event stream (its own default, pinned here). A completion
 * event carries the stage's output, so this is also up to ~2 500 outputs of memory per queue.
 * Orchestrators read the stream as it is written; what scrolls out unread is applied by the result
 * sweeper. A cap of 2 000 measured badly: in a burst the orchestrator fell that far behind and stages
 * waited for the sweeper (bench C fell from ~900 to ~260 runs/s; ~690 with the sweeper's lag mode).
 */
export const JOB_EVENTS_MAX_LEN = 10_000;

/** One BullMQ Queue (producer side) per agent type, sharing the engine's command connection. */
export class AgentQueues {
  private readonly queues = new Map<string, Queue<TaskEnvelope>>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly jobRetentionSeconds: number,
  ) {}

  get(agentType: string): Queue<TaskEnvelope> {
    let q = this.queues.get(agentType);
    if (!q) {
      q = new Queue<TaskEnvelope>(this.keys.queue(agentType), {
        connection: this.redis,
        prefix: this.keys.bullPrefix,
        streams: { events: { maxLen: JOB_EVENTS_MAX_LEN } },
      });
      q.on('error', () => undefined); // surfaced through the calls that fail
      this.queues.set(agentType, q);
    }
    return q;
  }

  /**
   * Adds a stage's job. Idempotent: BullMQ ignores an add whose job id already exists.
   * `attemptsUsed` were spent by earlier dispatches of the same stage (taken back by a pause): the
   * job gets only the attempts left.
   */
  async add(envelope: TaskEnvelope, jobId: string, stage: StageDefinition, priority?: number, attemptsUsed = 0): Promise<void> {
    await this.get(envelope.agent).add(envelope.stage, envelope, this.jobOptions(jobId, stage, priority, attemptsUsed));
  }

  /**
   * Adds many jobs: one BullMQ addBulk (one pipeline of its add scripts) per agent type, each job
   * exactly as `add` would add it (idempotent the same way). Rejects if any add failed; the adds
   * that succeeded stay (a missing job is re-added by the reconciler, convergeRun).
   */
  async addMany(jobs: QueuedJob[]): Promise<void> {
    const byAgent = new Map<string, QueuedJob[]>();
    for (const j of jobs) {
      const list = byAgent.get(j.envelope.agent);
      if (list) list.push(j);
      else byAgent.set(j.envelope.agent, [j]);
    }
    await Promise.all(
      [...byAgent].map(([agent, list]) =>
        this.get(agent).addBulk(list.map((j) => ({ name: j.envelope.stage, data: j.envelope, opts: this.jobOptions(j.jobId, j.stage, j.priority, j.attemptsUsed) }))),
      ),
    );
  }

  private jobOptions(jobId: string, stage: StageDefinition, priority: number | undefined, attemptsUsed: number): JobsOptions {
    return {
      jobId,
      attempts: Math.max(1, stage.retry.maxAttempts - attemptsUsed),
      backoff: { type: stage.retry.backoff.type, delay: stage.retry.backoff.delayMs },
      // The orchestrator removes a finished job once its result is committed to the run; this age
      // cap only bounds memory if no orchestrator runs for that long.
      removeOnComplete: { age: this.jobRetentionSeconds },
      removeOnFail: { age: this.jobRetentionSeconds },
      // BullMQ's scale (1 = first); see control/priority.ts.
      ...(priority !== undefined ? { priority } : {}),
    };
  }

  async getJob(agentType: string, jobId: string): Promise<Job<TaskEnvelope> | undefined> {
    return this.get(agentType).getJob(jobId);
  }

  async state(agentType: string, jobId: string): Promise<JobStateName> {
    return (await this.get(agentType).getJobState(jobId)) as JobStateName;
  }

  /**
   * Whether a job exists and was ever taken by an agent, from its hash alone (O(1)). BullMQ's full
   * state lookup scans the wait list, so asking it for every queued job of a large backlog costs
   * the square of the backlog; a job never taken has nothing to report anyway.
   */
  async progress(agentType: string, jobId: string): Promise<'missing' | 'not-started' | 'started'> {
    const [created, processedOn, finishedOn] = await this.redis.hmget(this.get(agentType).toKey(jobId), 'timestamp', 'processedOn', 'finishedOn');
    if (created == null) return 'missing';
    return processedOn == null && finishedOn == null ? 'not-started' : 'started';
  }

  /** Whether a job has finished (its result is written) or is gone, from its hash alone (one HMGET). */
  async finishedOrGone(agentType: string, jobId: string): Promise<boolean> {
    const [created, finishedOn] = await this.redis.hmget(this.get(agentType).toKey(jobId), 'timestamp', 'finishedOn');
    return created == null || finishedOn != null;
  }

  /**
   * Removes a job unless a worker holds its lock. Returns 'removed', 'missing' or 'locked'. A
   * finished job (the usual case: its result was just committed) goes in one short script
   * (lua/remove-finished-job.lua); any other through BullMQ's removeJob.
   */
  async remove(agentType: string, jobId: string): Promise<'removed' | 'missing' | 'locked'> {
    if (Number(await callScript(this.redis, 'batonRemoveFinishedJob', [...this.finishedJobKeys(agentType, jobId)], [jobId])) === 1) return 'removed';
    return this.removeUnfinished(agentType, jobId);
  }

  /** The keys a commit needs to remove a finished job (the job hash, completed and failed sets; see RunStore.commit). */
  finishedJobKeys(agentType: string, jobId: string): [string, string, string] {
    const q = this.get(agentType);
    return [q.toKey(jobId), q.keys.completed!, q.keys.failed!];
  }

  /**
   * `remove` for a job that was not finished a moment ago (its commit found it so): BullMQ's
   * removeJob, which honours a worker's lock and also removes a job that finished since.
   */
  async removeUnfinished(agentType: string, jobId: string): Promise<'removed' | 'missing' | 'locked'> {
    const q = this.get(agentType);
    const removed = await q.remove(jobId);
    if (removed === 1) return 'removed';
    return (await this.state(agentType, jobId)) === 'unknown' ? 'missing' : 'locked';
  }

  /**
   * Removes a job only if it still waits for an agent, atomically with reading its state (see
   * lua/take-back-job.lua): a job that completed a moment ago keeps its result.
   */
  async takeBack(agentType: string, jobId: string): Promise<TakeBack> {
    const q = this.get(agentType);
    const k = q.keys;
    const r = (await callScript(this.redis, 'batonTakeBackJob', [q.toKey(jobId), k.wait!, k.paused!, k.delayed!, k.prioritized!, k.completed!, k.failed!, k.events!, k.meta!], [jobId])) as [TakeBack['outcome'], number];
    return { outcome: r[0], attemptsMade: Number(r[1]) };
  }

  /** Ids of up to `max` jobs (each of completed and failed) that finished before `cutoffMs`, oldest first. */
  async finishedBefore(agentType: string, cutoffMs: number, max: number): Promise<string[]> {
    const q = this.get(agentType);
    // BullMQ scores its completed and failed sets by finish time.
    const [completed, failed] = await Promise.all(
      [q.keys.completed!, q.keys.failed!].map((key) => this.redis.zrangebyscore(key, '-inf', `(${cutoffMs}`, 'LIMIT', 0, max)),
    );
    return [...completed!, ...failed!];
  }

  async counts(agentType: string): Promise<QueueCounts> {
    const c = await this.get(agentType).getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
    return {
      // Every stage job carries a priority (control/priority.ts), so BullMQ keeps them in its
      // prioritized set; both sets are jobs waiting for an agent.
      waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      failed: c.failed ?? 0,
      completed: c.completed ?? 0,
      prioritized: c.prioritized ?? 0,
    };
  }

  /** Jobs waiting for an agent by BullMQ priority (1..10; see control/priority.ts). */
  async countsPerPriority(agentType: string): Promise<Record<string, number>> {
    return this.get(agentType).getCountsPerPriority([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
