import type { Scenario } from '../scenario.js';
import { agentKill } from './agent-kill.js';
import { approvalFaults } from './approvals.js';
import { blockedEventLoop } from './blocked-event-loop.js';
import { cancelDeadAgent } from './cancel-dead-agent.js';
import { fanOutFaults } from './fan-out.js';
import { orchestratorKill } from './orchestrator-kill.js';
import { pauseVsCompletion } from './pause-vs-completion.js';
import { redisFull } from './redis-full.js';
import { redisRestart } from './redis-restart.js';
import { resultBacklog } from './result-backlog.js';
import { retryVsRetention } from './retry-vs-retention.js';

/** The battery, in the order it runs. */
export const SCENARIOS: readonly Scenario[] = [agentKill, orchestratorKill, redisRestart, blockedEventLoop, redisFull, resultBacklog, cancelDeadAgent, pauseVsCompletion, retryVsRetention, fanOutFaults, approvalFaults];
