import type { Keys, TaskEnvelope, TaskResult } from '@baton/contracts';
import { errorMessage, type Logger, type RedisClient } from '@baton/platform';
import { Queue, type Worker } from 'bullmq';
import { WorkerWatchdog } from './worker-watchdog.js';

export interface WatchWorkerOptions {
  worker: Worker<TaskEnvelope, TaskResult>;
  /** The connection the worker was given (BullMQ duplicates it for its blocking fetch). */
  workerConnection: RedisClient;
  /** The agent's command connection: reads the backlog, probes writes. */
  command: RedisClient;
  keys: Keys;
  agentType: string;
  agentId: string;
  stallAfterMs: number;
  log: Logger;
  wantsWork: () => boolean;
  lastTakenAt: () => number;
  onRecovery: () => void;
  restart: () => void;
}

/** Puts a WorkerWatchdog on a BullMQ worker; `stop()` ends it and closes what it opened. */
export function watchWorker(o: WatchWorkerOptions): { stop(): Promise<void> } {
  // A Queue on a shared connection reads the backlog and never closes that connection.
  const queue = new Queue(o.keys.queue(o.agentType), { connection: o.command, prefix: o.keys.bullPrefix });
  const probeTimeoutMs = Math.min(2000, o.stallAfterMs / 2);
  const dog = new WorkerWatchdog(
    {
      async backlog() {
        const [counts, paused] = await Promise.all([queue.getJobCounts('wait', 'prioritized'), queue.isPaused()]);
        return { ready: (counts.wait ?? 0) + (counts.prioritized ?? 0), paused };
      },
      async writable() {
        // The command connection retries a refused write until it passes: give it a moment only.
        const write = o.command.set(o.keys.agentWriteProbe(o.agentId), '1', 'PX', 60_000).then((r) => r === 'OK', () => false);
        const late = new Promise<boolean>((r) => setTimeout(() => r(false), probeTimeoutMs).unref());
        return Promise.race([write, late]);
      },
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
    async stop() {
      dog.stop();
      await queue.close().catch(() => undefined);
    },
  };
}
