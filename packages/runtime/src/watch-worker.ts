import type { Keys, TaskEnvelope, TaskResult } from '@baton/contracts';
import { errorMessage, type Logger, type RedisClient } from '@baton/platform';
import { QueueKeys, type Worker } from 'bullmq';
import { WorkerWatchdog } from './worker-watchdog.js';

export interface WatchWorkerOptions {
  worker: Worker<TaskEnvelope, TaskResult>;
  /** The connection the worker was given (BullMQ duplicates it for its blocking fetch); it also reads the backlog. */
  workerConnection: RedisClient;
  keys: Keys;
  agentType: string;
  stallAfterMs: number;
  /** The heartbeat interval, and when the heartbeat thread's own connection last got a beat into Redis (or failed to). */
  heartbeatMs: number;
  beats: () => { okAt: number; failedAt: number };
  log: Logger;
  wantsWork: () => boolean;
  lastTakenAt: () => number;
  onRecovery: () => void;
  restart: () => void;
}

/** Puts a WorkerWatchdog on a BullMQ worker; `stop()` ends it. */
export function watchWorker(o: WatchWorkerOptions): { stop(): Promise<void> } {
  const q = new QueueKeys(o.keys.bullPrefix).getKeys(o.keys.queue(o.agentType));
  const redis = o.workerConnection;
  const dog = new WorkerWatchdog(
    {
      async backlog() {
        // One command in the usual case: empty lists and sorted sets do not exist, so EXISTS says
        // whether any job is ready at all. Only then count them and ask whether the queue is paused.
        if ((await redis.exists(q.wait!, q.prioritized!)) === 0) return { ready: 0, paused: false };
        const [wait, prioritized, paused] = await Promise.all([redis.llen(q.wait!), redis.zcard(q.prioritized!), redis.hexists(q.meta!, 'paused')]);
        return { ready: wait + prioritized, paused: paused === 1 };
      },
      async writable() {
        // The heartbeat is a write of this agent's, on a connection of its own: if the latest beats
        // got through, Redis takes this agent's writes (no probe write needed).
        const { okAt, failedAt } = o.beats();
        return okAt > failedAt && Date.now() - okAt <= 2 * o.heartbeatMs + 1000;
      },
      answeredSince: (since) => o.beats().okAt >= since,
      wantsWork: o.wantsWork,
      lastTakenAt: o.lastTakenAt,
      async recover() {
        // Drop both sockets: ioredis reconnects (Sentinel and Cluster: to the current master) and
        // resends what hung, e.g. a fetch; and restart a fetch loop that ended.
        const blocking = await o.worker.backend.blockingClient;
        blocking?.disconnect(true);
        o.workerConnection.disconnect(true);
        if (!o.worker.isRunning()) void o.worker.run().catch((e: unknown) => o.log.error({ err: errorMessage(e) }, 'worker stopped unexpectedly'));
      },
      restart: o.restart,
    },
    { stallAfterMs: o.stallAfterMs, log: o.log, onRecovery: o.onRecovery },
  );
  return {
    stop() {
      dog.stop();
      return Promise.resolve();
    },
  };
}
