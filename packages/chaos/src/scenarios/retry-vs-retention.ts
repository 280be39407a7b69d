import { Ledger } from '../ledger.js';
import type { Scenario } from '../scenario.js';
import { sleep } from '../stats.js';
import { Submitter } from '../submitter.js';
import { dispatchOf, operate, view } from './operator.js';

/**
 * 9. Retention keeps only a few finished runs (`BATON_RUN_RETENTION_COUNT=3`), so each pass deletes
 * the oldest; an operator retries exactly those, racing it. A retry that answered 200 made the run
 * active: retention must not delete it (the delete script checks the status atomically), and its
 * stage must run.
 */
export const retryVsRetention: Scenario<{ runs: number; retries: number; agents: number }> = {
  id: 9,
  name: 'retry-vs-retention',
  title: 'retry racing retention of the oldest finished runs',
  invariant: 'a retried run (200) is never deleted before it finished again; its new dispatch executes',
  sizes: {
    full: { runs: 120, retries: 60, agents: 2 },
    reduced: { runs: 24, retries: 10, agents: 2 },
  },
  async run({ rng, rec, log, stack: newStack }, size) {
    const stack = await newStack();
    await stack.startOrchestrator(0, { BATON_RUN_RETENTION_COUNT: '3' });
    await Promise.all(Array.from({ length: size.agents }, () => stack.startAgent({ BATON_AGENT_CONCURRENCY: '4' })));
    const specs = rng.fork('runs');
    const sub = new Submitter(stack, () => {
      const ms = specs.int(20, 200);
      return { request: { definition: { stages: [{ name: 's1', agent: 'noop', input: { ms } }] } }, stageMs: { s1: ms } };
    });
    let submitting = true;
    const submitter = (async () => {
      while (submitting && sub.accepted.length < size.runs) {
        await sub.submit();
        await sleep(rng.int(20, 120));
      }
    })();
    const retried: { id: string; outcome: 'finished' | 'deleted-after-execution' | 'deleted-active' }[] = [];
    let refused = 0;
    const picker = rng.fork('retries');
    try {
      while (retried.length < size.retries) {
        // The oldest finished runs: the ones the next retention pass deletes.
        const oldest = await stack.db.zrange(stack.keys.runsFinished(), 0, 2);
        if (oldest.length === 0) {
          await sleep(50);
          continue;
        }
        const id = oldest[picker.int(0, oldest.length - 1)]!;
        const res = await operate(stack, 'POST', `/v1/runs/${id}/retry`, { fromStage: 's1' });
        if (res.status !== 200) {
          refused++; // deleted (404) or not finished (409) before the retry: no race
          continue;
        }
        // From the 200 on, the run is active; watch it until it finished again.
        let outcome: (typeof retried)[number]['outcome'] = 'finished';
        for (;;) {
          const v = await view(stack, id);
          if (!v) {
            const ran = Ledger.read(stack.ledgerFile).of(id, 's1').some((e) => dispatchOf(e) >= 2);
            outcome = ran ? 'deleted-after-execution' : 'deleted-active';
            break;
          }
          if (v.status === 'succeeded' || v.status === 'failed' || v.status === 'cancelled') break;
          await sleep(20);
        }
        retried.push({ id, outcome });
        rec.check(outcome !== 'deleted-active', `${id}: retried (200), then deleted before its new dispatch ran`);
        if (retried.length % 10 === 0) log(`${retried.length} retries`);
      }
    } finally {
      submitting = false;
      await submitter;
    }
    rec.count('retries', retried.length);
    rec.count('retriesRefused', refused);
    rec.count('retriedDeletedWhileActive', retried.filter((r) => r.outcome === 'deleted-active').length);
    rec.count('retriedDeletedAfterFinishing', retried.filter((r) => r.outcome === 'deleted-after-execution').length);
    rec.submissions(sub.stats);
    rec.faults = `${retried.length} retries of runs retention was about to delete`;
    rec.headline = `${retried.filter((r) => r.outcome === 'deleted-active').length} retried runs deleted while active (of ${retried.length})`;
  },
};
