import { settleAndAudit } from '../audit.js';
import { chain } from '../pipelines.js';
import type { Scenario } from '../scenario.js';
import type { AgentProcess } from '../stack.js';
import { distribution, formatMs, sleep } from '../stats.js';
import { RerunWatcher } from '../rerun-watcher.js';
import { Submitter } from '../submitter.js';

/**
 * 1. kill -9 agent processes mid-stage while five-stage runs flow. Each victim is an agent that is
 * running at least one stage; a replacement starts at once (as PM2 would). A killed agent's stage
 * must run again elsewhere (its BullMQ lock expires, a stalled-job check puts the job back), every
 * run must succeed and no stage may be committed twice.
 */
export const agentKill: Scenario<{ runs: number; kills: number; agents: number; concurrency: number; lanes: number }> = {
  id: 1,
  name: 'agent-kill',
  title: 'kill -9 agents mid-stage',
  invariant: '0 lost runs, 0 stages committed twice; kill → stage running again reported (p50/p99)',
  sizes: {
    full: { runs: 200, kills: 100, agents: 4, concurrency: 4, lanes: 24 },
    reduced: { runs: 16, kills: 8, agents: 3, concurrency: 4, lanes: 10 },
  },
  async run({ rng, rec, log, stack: newStack }, size) {
    const stack = await newStack();
    await stack.startOrchestrator(0);
    // Stalled recoveries are not limited here: a job may be caught by several kills in a row.
    const agentEnv = { BATON_AGENT_CONCURRENCY: String(size.concurrency), BATON_MAX_STALLED: '1000' };
    await Promise.all(Array.from({ length: size.agents }, () => stack.startAgent(agentEnv)));

    const specs = rng.fork('runs');
    const sub = new Submitter(stack, () => chain(specs, 5, [200, 1200]));
    let killing = true;
    const busy = sub.keepBusy(size.lanes, () => !killing && sub.accepted.length >= size.runs);

    let kills = 0;
    const reruns = new RerunWatcher(stack);
    reruns.start();
    const replacements = new Set<Promise<unknown>>();
    const started = Date.now();
    try {
      while (kills < size.kills) {
        await sleep(rng.int(300, 900));
        const live = new Map(stack.liveAgents().map((a): [string, AgentProcess] => [a.id, a]));
        if (live.size < 2) continue; // keep someone alive to pick the work up
        const views = await stack.agentViews().catch(() => []);
        const busyAgents = views.filter((v) => live.has(v.id) && v.active.length > 0).sort((a, b) => a.id.localeCompare(b.id));
        if (busyAgents.length === 0) continue;
        const view = rng.pick(busyAgents);
        const victim = live.get(view.id)!;
        const at = await stack.killAgent(victim);
        kills++;
        // The jobs its heartbeat listed as running just before the kill.
        reruns.watch(view.active, victim.id, at);
        const replacement = stack.startAgent(agentEnv).catch((e: unknown) => log(`replacement agent did not start: ${String(e)}`));
        replacements.add(replacement);
        void replacement.finally(() => replacements.delete(replacement));
        if (kills % 10 === 0) log(`${kills} kills, ${sub.accepted.length} runs accepted`);
      }
    } finally {
      killing = false;
    }
    const killingMs = Date.now() - started;
    await busy;
    await Promise.all([...replacements]);
    await reruns.stop();

    const audit = await settleAndAudit(stack, sub.accepted, 120_000);
    rec.audit(audit);
    rec.submissions(sub.stats);

    const d = distribution(reruns.delays);
    rec.count('kills', kills);
    rec.count('stagesRerun', reruns.delays.length);
    rec.count('stagesFinishedJustBeforeKill', reruns.finishedBeforeKill);
    rec.count('stagesNotSeenRerun', reruns.notRerun);
    rec.figure('killToRerunP50Ms', d.p50);
    rec.figure('killToRerunP99Ms', d.p99);
    rec.figure('killToRerunMaxMs', d.max);
    rec.figure('killingPhaseMs', killingMs);
    rec.faults = `${kills} agent kill -9 mid-stage`;
    rec.headline = `kill→re-run p50 ${formatMs(d.p50)}, p99 ${formatMs(d.p99)} (n=${d.n})`;

    rec.check(kills >= size.kills, `only ${kills} of ${size.kills} kills happened`);
    rec.check(sub.accepted.length >= size.runs, `only ${sub.accepted.length} of ${size.runs} runs were accepted`);
    rec.check(reruns.delays.length > 0, 'no killed stage was seen running again: the fault was never injected mid-stage');
  },
};
