import type { EngineContext } from './context.js';
import { applyJob } from './job-applier.js';

const BATCH = 200;

/**
 * The durable path for results: finds finished jobs on every agent queue and applies them. Agents'
 * doorbells make this immediate; without them (lost pub/sub message, orchestrator restarted,
 * thousands of completions while it was down) the sweep still applies every one exactly once.
 */
export async function sweepFinishedJobs(ctx: EngineContext, agentTypes: Iterable<string>): Promise<number> {
  let applied = 0;
  for (const type of agentTypes) {
    for (;;) {
      const jobs = await ctx.queues.finishedJobs(type, BATCH);
      for (const job of jobs) {
        if (await applyJob(ctx, type, job)) applied++;
      }
      if (jobs.length < BATCH) break;
    }
  }
  return applied;
}
