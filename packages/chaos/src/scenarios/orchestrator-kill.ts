import { settleAndAudit } from '../audit.js';
import { fleetMetrics } from '../metrics.js';
import { chain } from '../pipelines.js';
import type { Scenario } from '../scenario.js';
import { distribution, formatMs, sleep } from '../stats.js';
import { Submitter } from '../submitter.js';

/**
 * 2. Two orchestrator instances share the work (submissions go to both, both sweep results, one
 * reconciles); one of them is killed with -9 again and again — mid-request, mid-commit, between a
 * commit and its enqueue, while holding the reconciler lease — and restarted on the same port.
 * Clients retry refused or broken submissions with the same Idempotency-Key.
 */
export const orchestratorKill: Scenario<{ runs: number; kills: number; agents: number; concurrency: number; lanes: number }> = {
  id: 2,
  name: 'orchestrator-kill',
  title: 'kill -9 an orchestrator instance (of two), repeatedly',
  invariant: '0 lost runs, 0 duplicate transitions (no event a run has once appears twice, no stage committed twice)',
  sizes: {
    full: { runs: 300, kills: 24, agents: 3, concurrency: 8, lanes: 30 },
    reduced: { runs: 24, kills: 4, agents: 2, concurrency: 8, lanes: 10 },
  },
  async run({ rng, rec, log, stack: newStack }, size) {
    const stack = await newStack();
    await Promise.all([stack.startOrchestrator(0), stack.startOrchestrator(1)]);
    await Promise.all(Array.from({ length: size.agents }, () => stack.startAgent({ BATON_AGENT_CONCURRENCY: String(size.concurrency) })));

    const specs = rng.fork('runs');
    const sub = new Submitter(stack, () => chain(specs, 5, [50, 500]));
    let killing = true;
    const busy = sub.keepBusy(size.lanes, () => !killing && sub.accepted.length >= size.runs);

    const restartMs: number[] = [];
    const inFlight: Promise<unknown>[] = [];
    let kills = 0;
    try {
      while (kills < size.kills) {
        await sleep(rng.int(800, 2500));
        const slot = rng.int(0, 1);
        // A few submissions to the victim, then the kill a moment later: some die mid-request (before
        // or after their commit) and are retried on the other instance with the same Idempotency-Key.
        const victimUrl = stack.orchestratorUrls()[slot]!;
        inFlight.push(...Array.from({ length: 3 }, () => sub.submit(undefined, victimUrl)));
        await sleep(rng.int(0, 20));
        await stack.killOrchestrator(slot);
        kills++;
        await sleep(rng.int(100, 1500));
        const t = Date.now();
        await stack.startOrchestrator(slot);
        restartMs.push(Date.now() - t);
        if (kills % 5 === 0) log(`${kills} orchestrator kills, ${sub.accepted.length} runs accepted`);
      }
    } finally {
      killing = false;
    }
    await busy;
    await Promise.all(inFlight);

    const audit = await settleAndAudit(stack, sub.accepted, 120_000);
    rec.audit(audit);
    rec.submissions(sub.stats);
    const m = await fleetMetrics(stack, ['baton_engine_duplicate_completions_total']);
    const repairs = await fleetMetrics(stack, ['baton_engine_reconciler_repairs_total'], { kind: 'redispatch' });
    const d = distribution(restartMs);
    rec.count('kills', kills);
    rec.figure('restartToReadyP50Ms', d.p50);
    rec.figure('restartToReadyMaxMs', d.max);
    rec.figure('duplicateCompletionsDropped', m.baton_engine_duplicate_completions_total ?? 0);
    rec.figure('jobsRedispatchedByReconciler', repairs.baton_engine_reconciler_repairs_total ?? 0);
    rec.faults = `${kills} orchestrator kill -9`;
    rec.headline = `duplicate transitions ${audit.duplicateTransitions.length}; ${sub.stats.networkErrors} failed connections retried; ${repairs.baton_engine_reconciler_repairs_total ?? 0} jobs re-dispatched; restart→ready p50 ${formatMs(d.p50)}`;

    rec.check(kills >= size.kills, `only ${kills} of ${size.kills} kills happened`);
    rec.check(sub.accepted.length >= size.runs, `only ${sub.accepted.length} of ${size.runs} runs were accepted`);
  },
};
