import type { Scenario } from '../scenario.js';
import { agentKill } from './agent-kill.js';
import { blockedEventLoop } from './blocked-event-loop.js';
import { orchestratorKill } from './orchestrator-kill.js';
import { redisFull } from './redis-full.js';
import { redisRestart } from './redis-restart.js';
import { resultBacklog } from './result-backlog.js';

/** The battery, in the order it runs. */
export const SCENARIOS: readonly Scenario[] = [agentKill, orchestratorKill, redisRestart, blockedEventLoop, redisFull, resultBacklog];
