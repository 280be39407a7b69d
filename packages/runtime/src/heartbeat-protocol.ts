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
  /** Float64 slot holding the main loop's last tick (epoch ms). */
  shared: SharedArrayBuffer;
  tickMs: number;
  record: AgentHeartbeat;
}

export type MainToThread =
  | { type: 'update'; patch: Partial<Pick<AgentHeartbeat, 'state' | 'active' | 'lastTaskAt'>> }
  | { type: 'stop'; remove: boolean };

export type ThreadToMain = { type: 'started' } | { type: 'stopped' };
