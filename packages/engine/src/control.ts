import { ControlMessage } from '@baton/contracts';
import type { RedisClient } from '@baton/platform';
import type { Keys } from '@baton/contracts';
import { callScript } from './store/scripts.js';

/** Capped length of each agent type's control stream. */
export const CONTROL_STREAM_MAXLEN = 1000;

/**
 * Appends a control message to an agent type's control stream. Agents read it with XREAD from the
 * last id they saw, so a message sent while an agent is reconnecting is still delivered. Agents keep
 * that reader open only while they run tasks (and a while after), so a drain or restart also marks
 * the agent's heartbeat record, which its next beat returns (lua/flag-agent-command.lua).
 */
export async function sendControl(redis: RedisClient, keys: Keys, agentType: string, msg: ControlMessage): Promise<string> {
  const body = JSON.stringify(ControlMessage.parse(msg));
  const id = await redis.xadd(keys.control(agentType), 'MAXLEN', '~', CONTROL_STREAM_MAXLEN, '*', 'msg', body);
  if (msg.kind !== 'cancel' && id) {
    await callScript(redis, 'batonFlagAgentCommand', [keys.agent(msg.agentId)], [JSON.stringify({ kind: msg.kind, id })]);
  }
  return id ?? '';
}
