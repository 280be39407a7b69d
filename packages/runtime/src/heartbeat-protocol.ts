import type { AgentHeartbeat } from '@baton/contracts';
import type { RedisConfig } from '@baton/platform';

export interface HeartbeatThreadData {
  /** The agent's full connection config (plain data: a URL, cluster nodes or sentinels, auth, TLS). */
  redis: RedisConfig;
  connectionName: string;
  agentKey: string;
  agentsKey: string;
  intervalMs: number;
  ttlMs: number;
  /**
   * Float64 slots (epoch ms): [0] the main loop's last tick (the main thread writes it); [1] the last
   * beat Redis accepted and [2] the last beat that failed (the thread writes them): proof, from a
   * connection of its own, that Redis is reachable and takes this agent's writes.
   */
  shared: SharedArrayBuffer;
  tickMs: number;
  /**
   * The main loop blocked this long (ms) makes the thread end the process (SIGKILL: the loop cannot
   * run an exit handler), so a supervisor replaces it and its jobs are recovered. 0: never.
   */
  wedgedExitMs: number;
  record: AgentHeartbeat;
}

export type MainToThread =
  | { type: 'update'; patch: Partial<Pick<AgentHeartbeat, 'state' | 'active' | 'lastTaskAt'>> }
  | { type: 'stop'; remove: boolean };

export type ThreadToMain =
  | { type: 'started' }
  | { type: 'stopped' }
  /** A drain or restart the orchestrator marked on this agent's record, handed over by a beat. */
  | { type: 'control'; kind: 'drain' | 'restart' }
  /** A beat failed: the main thread reads the control stream for what it may have missed. */
  | { type: 'beatFailed' };
