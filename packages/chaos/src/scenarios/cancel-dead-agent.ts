import { jobIdFor } from '@baton/contracts';
import { auditHistory, readEvents } from '../audit.js';
import { Ledger } from '../ledger.js';
import type { Scenario } from '../scenario.js';
import { sleep } from '../stats.js';
import { Submitter } from '../submitter.js';
import { operate, startedAtMs, until } from './operator.js';

/**
 * 7. An operator cancels a run while the agent running its stage is dead (`kill -9` just before), then
 * often retries it from that stage. The dead agent's lock expires, another agent's stalled check puts
 * the job back: it must not run (the runtime checks the dispatch is still wanted, the repair pass
 * removes the job), and the retry's dispatch must run once, alone.
 */
export const cancelDeadAgent: Scenario<{ rounds: number; agents: number }> = {
  id: 7,
  name: 'cancel-dead-agent',
  title: 'cancel (and retry) while the agent running the stage is dead',
  invariant: 'no execution of a cancelled dispatch starts after the cancel; a retried run succeeds with one commit per dispatch',
  sizes: {
    full: { rounds: 12, agents: 3 },
    reduced: { rounds: 3, agents: 2 },
  },
  async run({ rng, rec, log, stack: newStack }, size) {
    const stack = await newStack();
    await stack.startOrchestrator(0);
    await Promise.all(Array.from({ length: size.agents }, () => stack.startAgent({ BATON_AGENT_CONCURRENCY: '1' })));
    const specs = rng.fork('runs');
    const sub = new Submitter(stack, () => {
      const ms = specs.int(2500, 4000);
      return { request: { definition: { stages: [{ name: 's1', agent: 'noop', input: { ms } }] } }, stageMs: { s1: ms } };
    });
    const rounds: { id: string; cancelAt: number; retried: boolean }[] = [];
    for (let i = 0; i < size.rounds; i++) {
      const run = await sub.submit();
      if (!run) continue;
      const running = await until(stack, run.id, (r) => r.stages[0]!.status === 'running' && r.stages[0]!.agentId !== null, 60_000);
      const victim = running && stack.agents.get(running.stages[0]!.agentId!);
      if (!victim || victim.killedAt !== null) continue;
      await stack.killAgent(victim);
      await sleep(rng.int(0, 200));
      const res = await operate(stack, 'POST', `/v1/runs/${run.id}/cancel`, { reason: 'chaos: agent is dead' });
      const cancelAt = Date.now();
      rec.check(res.status === 200, `cancel of ${run.id} answered ${res.status}`);
      const replacement = stack.startAgent({ BATON_AGENT_CONCURRENCY: '1' });
      const retried = rng.int(0, 2) > 0;
      if (retried) {
        const r = await operate(stack, 'POST', `/v1/runs/${run.id}/retry`, { fromStage: 's1' });
        rec.check(r.status === 200, `retry of ${run.id} answered ${r.status}`);
      }
      await replacement;
      rounds.push({ id: run.id, cancelAt, retried });
      log(`round ${i + 1}: killed ${victim.id}, cancelled ${run.id}${retried ? ', retried' : ''}`);
    }
    // Past the dead agents' locks and a few stalled checks: any resurrection would have happened by now.
    await sleep(3000 + 4 * 1000);
    for (const r of rounds) {
      if (r.retried) await until(stack, r.id, (v) => v.status === 'succeeded' || v.status === 'failed' || v.status === 'cancelled', 60_000);
    }
    const ledger = Ledger.read(stack.ledgerFile);
    const events = await readEvents(stack, rounds.map((r) => r.id));
    let resurrected = 0;
    let overlaps = 0;
    let retriedOk = 0;
    for (const r of rounds) {
      const lines = ledger.starts.filter((e) => e.runId === r.id);
      const first = jobIdFor(r.id, 's1', 1);
      const late = lines.filter((e) => e.jobId === first && startedAtMs(e) > r.cancelAt);
      resurrected += late.length;
      rec.check(late.length === 0, `${r.id}: the cancelled dispatch 1 started again ${late.length} time(s) after the cancel`);
      const h = auditHistory(r.id, events.get(r.id) ?? []);
      rec.check(h.doubleCommits.length === 0, `${r.id}: ${h.doubleCommits.join('; ')}`);
      if (!r.retried) continue;
      const v = await until(stack, r.id, () => true);
      if (v?.status === 'succeeded') retriedOk++;
      rec.check(v?.status === 'succeeded', `${r.id}: the retried run ended ${v?.status ?? 'gone'}`);
      // Dispatch 2 must never run beside a resurrected dispatch 1.
      const d2 = ledger.entries.filter((e) => e.runId === r.id && e.jobId !== first);
      for (const e of d2) {
        const start = startedAtMs(e);
        const end = Date.parse(e.at);
        if (late.some((l) => startedAtMs(l) < end && start < Date.parse(l.at))) overlaps++;
      }
    }
    rec.count('rounds', rounds.length);
    rec.count('retried', rounds.filter((r) => r.retried).length);
    rec.count('retriedSucceeded', retriedOk);
    rec.count('cancelledDispatchStarts', resurrected);
    rec.count('overlappingExecutions', overlaps);
    rec.faults = `${rounds.length} agent kill -9 + cancel (${rounds.filter((r) => r.retried).length} retried)`;
    rec.headline = `${resurrected} cancelled executions started, ${overlaps} overlaps`;
    rec.check(rounds.length >= size.rounds, `only ${rounds.length} of ${size.rounds} rounds happened`);
  },
};
