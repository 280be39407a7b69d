import type { AgentHeartbeat } from '@baton/contracts';
import type { RedisOptions } from 'ioredis';

export interface HeartbeatThreadData {
  redisUrl: string;
  redisOptions: Pick<RedisOptions, 'username' | 'password' | 'tls' | 'connectionName'>;
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
