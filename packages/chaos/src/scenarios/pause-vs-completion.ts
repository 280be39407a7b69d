import { TERMINAL_RUN_STATUSES } from '@baton/contracts';
import { settleAndAudit } from '../audit.js';
import { Ledger } from '../ledger.js';
import { chain } from '../pipelines.js';
import type { Scenario } from '../scenario.js';
import { sleep } from '../stats.js';
import { Submitter } from '../submitter.js';
import { dispatchOf, operate, view } from './operator.js';

/**
 * 8. Operators pause and resume runs again and again while their short stages complete, so pauses
 * race completions: a pause must take back only jobs still waiting (atomically with their state),
 * never a job that just completed, and a stage must never run again because of a pause.
 */
export const pauseVsCompletion: Scenario<{ runs: number; agents: number; concurrency: number; lanes: number }> = {
  id: 8,
  name: 'pause-vs-completion',
  title: 'pause/resume racing stage completions',
  invariant: '0 lost runs, 0 double commits, no stage executed in a later dispatch after an execution that completed',
  sizes: {
    full: { runs: 80, agents: 2, concurrency: 4, lanes: 12 },
    reduced: { runs: 16, agents: 2, concurrency: 4, lanes: 6 },
  },
  async run({ rng, rec, log, stack: newStack }, size) {
    const stack = await newStack();
    await stack.startOrchestrator(0);
    await Promise.all(Array.from({ length: size.agents }, () => stack.startAgent({ BATON_AGENT_CONCURRENCY: String(size.concurrency) })));
    const specs = rng.fork('runs');
    const sub = new Submitter(stack, () => chain(specs, 4, [20, 250]));
    let pausing = true;
    const busy = sub.keepBusy(size.lanes, () => !pausing && sub.accepted.length >= size.runs);
    let pauses = 0;
    let refused = 0;
    let finishedWhilePaused = 0;
    const pauser = rng.fork('pauses');
    try {
      while (sub.accepted.length < size.runs) {
        await sleep(pauser.int(10, 80));
        const recent = sub.accepted.slice(-size.lanes);
        if (recent.length === 0) continue;
        const run = recent[pauser.int(0, recent.length - 1)]!;
        const p = await operate(stack, 'POST', `/v1/runs/${run.id}/pause`);
        if (p.status !== 200) {
          refused++; // finished already (409): nothing to race
          continue;
        }
        pauses++;
        await sleep(pauser.int(0, 150));
        const r = await operate(stack, 'POST', `/v1/runs/${run.id}/resume`);
        if (r.status === 409) {
          // Its last running stage completed while paused: the run finished (nothing left to start).
          const v = await view(stack, run.id);
          rec.check(v !== null && TERMINAL_RUN_STATUSES.has(v.status), `resume of ${run.id} answered 409 while it is ${v?.status ?? 'gone'}`);
          finishedWhilePaused++;
        } else {
          rec.check(r.status === 200, `resume of ${run.id} answered ${r.status}`);
        }
        if (pauses % 50 === 0) log(`${pauses} pauses, ${sub.accepted.length} runs accepted`);
      }
    } finally {
      pausing = false;
    }
    await busy;
    const audit = await settleAndAudit(stack, sub.accepted, 120_000);
    rec.audit(audit);
    rec.submissions(sub.stats);
    // A stage whose execution completed in dispatch d and that executed again in a later dispatch
    // had its result thrown away (the pause removed the completed job and queued the stage anew).
    const ledger = Ledger.read(stack.ledgerFile);
    let rerunAfterPause = 0;
    for (const run of sub.accepted) {
      for (const stage of Object.keys(run.stageMs)) {
        const done = ledger.of(run.id, stage);
        if (done.length === 0) continue;
        const firstCompleted = Math.min(...done.map(dispatchOf));
        const later = done.filter((e) => dispatchOf(e) > firstCompleted).length + ledger.starts.filter((e) => e.runId === run.id && e.stage === stage && dispatchOf(e) > firstCompleted).length;
        if (later > 0) {
          rerunAfterPause++;
          rec.check(false, `${run.id} stage ${stage}: executed in a later dispatch after dispatch ${firstCompleted} completed`);
        }
      }
    }
    rec.count('pauses', pauses);
    rec.count('pausesRefused', refused);
    rec.count('finishedWhilePaused', finishedWhilePaused);
    rec.count('stagesRerunAfterPause', rerunAfterPause);
    rec.faults = `${pauses} pause/resume of runs in flight`;
    rec.headline = `${pauses} pauses, ${rerunAfterPause} stages re-run after a completed execution`;
    rec.check(pauses > 0, 'no pause landed on a live run');
  },
};
