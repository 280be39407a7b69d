/**
 * Wire protocol between the orchestrator and agent runtimes. Bump PROTOCOL_VERSION when a task
 * envelope, task result, heartbeat or control message changes incompatibly, and raise
 * MIN_AGENT_PROTOCOL when the orchestrator stops understanding older agents.
 */
export const PROTOCOL_VERSION = 1;
export const MIN_AGENT_PROTOCOL = 1;

export type ProtocolCheck = { ok: true } | { ok: false; reason: string };

/** Whether the orchestrator (this build) can work with an agent speaking `agentProtocol`. */
export function checkAgentProtocol(agentProtocol: number): ProtocolCheck {
  if (agentProtocol < MIN_AGENT_PROTOCOL) {
    return {
      ok: false,
      reason: `agent speaks protocol ${agentProtocol}, this orchestrator needs at least ${MIN_AGENT_PROTOCOL}: upgrade the agent's @baton/runtime`,
    };
  }
  if (agentProtocol > PROTOCOL_VERSION) {
    return {
      ok: false,
      reason: `agent speaks protocol ${agentProtocol}, this orchestrator only knows up to ${PROTOCOL_VERSION}: upgrade the orchestrator`,
    };
  }
  return { ok: true };
}

/** Whether an agent runtime (this build) can execute a task sent with `taskProtocol`. */
export function checkTaskProtocol(taskProtocol: number): ProtocolCheck {
  if (taskProtocol > PROTOCOL_VERSION || taskProtocol < MIN_AGENT_PROTOCOL) {
    return {
      ok: false,
      reason: `task uses protocol ${taskProtocol}, this agent runtime speaks ${MIN_AGENT_PROTOCOL}..${PROTOCOL_VERSION}: deploy matching orchestrator and agent versions`,
    };
  }
  return { ok: true };
}
