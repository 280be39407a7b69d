import type { ChaosStack } from './stack.js';
import { sleep } from './stats.js';

/**
 * Waits until each of `agentIds` has taken a task at or after `since` — its `lastTaskAt` in
 * GET /v1/agents, set when its BullMQ worker makes a job active. The caller keeps work waiting
 * meanwhile. Returns each agent's delay from `since` to that task, or null for an agent that took
 * none within `timeoutMs` (looks alive, does not consume).
 */
export async function waitAgentsConsuming(stack: ChaosStack, agentIds: readonly string[], since: number, timeoutMs: number): Promise<Map<string, number | null>> {
  const took = new Map<string, number | null>(agentIds.map((id) => [id, null]));
  const deadline = since + timeoutMs;
  while ([...took.values()].some((v) => v === null) && Date.now() <= deadline) {
    try {
      for (const a of await stack.agentViews()) {
        if (!took.has(a.id) || took.get(a.id) !== null || a.lastTaskAt === null) continue;
        const at = Date.parse(a.lastTaskAt);
        if (at >= since) took.set(a.id, at - since);
      }
    } catch {
      // orchestrator still reconnecting: ask again
    }
    await sleep(250);
  }
  return took;
}
