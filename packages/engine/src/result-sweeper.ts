import type { EngineContext } from './context.js';
import { applyJob } from './job-applier.js';

const BATCH = 200;

/**
 * The durable path for results: finds finished jobs on every agent queue and applies them. The job
 * event streams make this immediate; without them (an event missed, the orchestrator restarted,
 * thousands of completions while it was down) the sweep still applies every one exactly once.
 * Jobs that finished less than `graceMs` ago are left to the event path, which is already applying
 * them (sweeping them too would only duplicate its reads and lose the compare-and-set race).
 */
export async function sweepFinishedJobs(ctx: EngineContext, agentTypes: Iterable<string>, graceMs = 0): Promise<number> {
  let applied = 0;
  for (const type of agentTypes) {
    let previous = '';
    for (;;) {
      const ids = await ctx.queues.finishedBefore(type, ctx.now() - graceMs, BATCH);
      // Applied jobs leave the finished sets; the same batch again means these stay (e.g. their
      // removal keeps failing): leave them to the next pass rather than spin.
      const batch = ids.join(',');
      if (ids.length === 0 || batch === previous) break;
      previous = batch;
      for (const id of ids) {
        if (await applyJob(ctx, type, id)) applied++;
      }
    }
  }
  return applied;
}
