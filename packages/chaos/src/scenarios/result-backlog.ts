import { waitFor } from '@baton/testing';
import { settleAndAudit } from '../audit.js';
import { fleetMetrics } from '../metrics.js';
import { fanOut } from '../pipelines.js';
import type { Scenario } from '../scenario.js';
import { formatMs } from '../stats.js';
import { Submitter } from '../submitter.js';

/**
 * 6. The result consumer is down while thousands of stages complete: runs of parallel stages are
 * queued, the only orchestrator is killed with -9, agents then finish every job (each result waits
 * in Redis, stored by BullMQ with the job's completion; the agents' doorbells go unheard). Two
 * orchestrators then start and race to apply the backlog. Every result must be applied exactly once.
 */
export const resultBacklog: Scenario<{ runs: number; parallel: number; agents: number; concurrency: number }> = {
  id: 6,
  name: 'result-backlog',
  title: 'result consumer down during thousands of completions',
  invariant: 'every completion applied exactly once when the consumer is back (0 lost, 0 double commits, counters exact)',
  sizes: {
    full: { runs: 600, parallel: 5, agents: 4, concurrency: 16 },
    reduced: { runs: 30, parallel: 5, agents: 2, concurrency: 8 },
  },
  async run({ rng, rec, log, stack: newStack }, size) {
    const stack = await newStack();
    await stack.startOrchestrator(0);
    const specs = rng.fork('runs');
    const sub = new Submitter(stack, () => fanOut(specs, size.parallel, [0, 20]));
    await sub.submitMany(size.runs, 8);
    const expected = size.runs * size.parallel;
    const queueKey = (suffix: string) => `${stack.keys.bullPrefix}:${stack.keys.queue('noop')}:${suffix}`;
    await waitFor(async () => (await stack.db.llen(queueKey('wait'))) + (await stack.db.zcard(queueKey('prioritized'))) === expected, { what: `${expected} jobs waiting`, timeoutMs: 60_000 });

    await stack.killOrchestrator(0);
    const downAt = Date.now();
    await Promise.all(Array.from({ length: size.agents }, () => stack.startAgent({ BATON_AGENT_CONCURRENCY: String(size.concurrency) })));
    const agentsFrom = Date.now();
    await waitFor(async () => (await stack.db.zcard(queueKey('completed'))) === expected, {
      what: `${expected} completed jobs waiting for the orchestrator`,
      timeoutMs: 300_000,
      intervalMs: 250,
    });
    const completedAt = Date.now();
    log(`${expected} completions stored while no orchestrator ran (${formatMs(completedAt - agentsFrom)})`);

    // The consumer is back when the first instance is ready; the backlog is applied when every run finished.
    const readyAt = await Promise.all([0, 1].map((slot) => stack.startOrchestrator(slot).then(() => Date.now())));
    const upAt = Math.min(...readyAt);
    try {
      await waitFor(async () => (await stack.db.zcard(stack.keys.runsActive())) === 0, { what: 'every run to finish', timeoutMs: 300_000, intervalMs: 100 });
    } catch {
      // the audit says which runs did not finish
    }
    const appliedMs = Date.now() - upAt;
    const audit = await settleAndAudit(stack, sub.accepted, 60_000);
    rec.audit(audit);
    rec.submissions(sub.stats);

    // Each applied result's job is removed; the fleet counters count each stage once.
    let left = -1;
    try {
      await waitFor(async () => (left = await stack.db.zcard(queueKey('completed'))) === 0, { what: 'the completed set to drain', timeoutMs: 30_000 });
    } catch {
      // reported below
    }
    let finished = -1;
    try {
      await waitFor(async () => (finished = (await fleetMetrics(stack, ['baton_stages_finished_total'])).baton_stages_finished_total ?? -1) === expected, {
        what: 'stage counters',
        timeoutMs: 15_000,
        intervalMs: 500,
      });
    } catch {
      // reported below
    }
    const m = await fleetMetrics(stack, ['baton_engine_duplicate_completions_total']);
    rec.count('completions', expected);
    rec.count('resultsLeftUnapplied', left);
    rec.figure('consumerDownMs', upAt - downAt);
    rec.figure('agentsCompletionRatePerS', Math.round((expected / Math.max(1, completedAt - agentsFrom)) * 1000));
    rec.figure('backlogAppliedMs', appliedMs);
    rec.figure('applyRatePerS', Math.round((expected / Math.max(1, appliedMs)) * 1000));
    rec.figure('stagesFinishedCounter', finished);
    rec.figure('duplicateCompletionsDropped', m.baton_engine_duplicate_completions_total ?? 0);
    rec.faults = `consumer down for ${expected} completions`;
    rec.headline = `${expected} results applied in ${formatMs(appliedMs)} (${rec.figures.applyRatePerS}/s) by 2 instances; ${m.baton_engine_duplicate_completions_total ?? 0} duplicates dropped`;

    rec.check(left === 0, `${left} completed jobs were never applied and removed`);
    rec.check(finished === expected, `baton_stages_finished_total is ${finished}, expected exactly ${expected}`);
  },
};
