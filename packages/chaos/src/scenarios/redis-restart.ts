import { waitFor } from '@baton/testing';
import { settleAndAudit } from '../audit.js';
import { waitAgentsConsuming } from '../consuming.js';
import { chain } from '../pipelines.js';
import type { Scenario } from '../scenario.js';
import { distribution, formatMs, sleep } from '../stats.js';
import { Submitter } from '../submitter.js';

/** Every agent must take a task within this long after Redis is back (the issue's bound). */
const CONSUME_WITHIN_MS = 30_000;

/**
 * 3. Redis is killed with -9 and started again on the same AOF (everysec) several times while runs
 * flow: outages of 0.5–3 s, and a last one of `longOutageMs` (longer than job locks, so stages run
 * again). Nothing is restarted by hand: orchestrators and agents must reconnect by themselves, and every
 * agent process must be taking tasks again — not just beating — within 30 s while work waits. A
 * last restart happens with every agent idle, work arriving only after Redis is back.
 */
export const redisRestart: Scenario<{ runs: number; restarts: number; longOutageMs: number; agents: number; concurrency: number; lanes: number }> = {
  id: 3,
  name: 'redis-restart',
  title: 'kill -9 Redis and restart it on its AOF, several times',
  invariant: '0 lost accepted runs, 0 double commits; every agent takes a task within 30 s of each restart',
  sizes: {
    full: { runs: 500, restarts: 5, longOutageMs: 15_000, agents: 4, concurrency: 4, lanes: 40 },
    reduced: { runs: 30, restarts: 2, longOutageMs: 6000, agents: 2, concurrency: 4, lanes: 12 },
  },
  async run({ rng, rec, log, stack: newStack }, size) {
    const stack = await newStack();
    await stack.startOrchestrator(0);
    await Promise.all(Array.from({ length: size.agents }, () => stack.startAgent({ BATON_AGENT_CONCURRENCY: String(size.concurrency) })));
    const agentIds = stack.liveAgents().map((a) => a.id);

    const specs = rng.fork('runs');
    const sub = new Submitter(stack, () => chain(specs, 5, [100, 600]));
    let restarting = true;
    // Lanes outnumber the agents' slots, so work waits on the queue while the restarts are checked.
    const busy = sub.keepBusy(size.lanes, () => !restarting && sub.accepted.length >= size.runs);

    /** An agent that took no task in time looks alive but does not consume: a violation, with its registry entry. */
    const reportStuck = async (when: string, took: Map<string, number | null>) => {
      for (const [id, ms] of took) {
        if (ms !== null) continue;
        const view = (await stack.agentViews().catch(() => [])).find((a) => a.id === id);
        rec.violations.push(
          `${when}: agent ${id} took no task within ${CONSUME_WITHIN_MS / 1000} s after Redis came back although work was waiting` +
            (view ? ` (registry: liveness ${view.liveness}, active ${view.active.length}, lastTaskAt ${view.lastTaskAt ?? 'never'}, beat ${view.lastSeenAgoMs} ms ago)` : ' (not in the registry)'),
        );
      }
    };
    const downMs: number[] = [];
    const ups: number[] = [];
    const resumeMs: number[] = [];
    const probes: Promise<unknown>[] = [];
    try {
      for (let r = 1; r <= size.restarts; r++) {
        const due = Math.floor((r * size.runs) / (size.restarts + 1));
        while (sub.accepted.length < due) await sleep(100);
        const down = Date.now();
        await stack.redis.kill();
        // A client submitting during the outage: refused (503 + Retry-After), retried until accepted.
        probes.push(sub.submit());
        // Short outages, and a last one longer than the agents' locks and their "dead" threshold.
        await sleep(r === size.restarts ? rng.int(size.longOutageMs, Math.round(size.longOutageMs * 1.3)) : rng.int(500, 3000));
        await stack.redis.start();
        const up = Date.now();
        downMs.push(up - down);
        ups.push(up);
        const took = await waitAgentsConsuming(stack, agentIds, up, CONSUME_WITHIN_MS);
        await reportStuck(`restart ${r}`, took);
        for (const ms of took.values()) if (ms !== null) resumeMs.push(ms);
        log(`restart ${r}: Redis down ${up - down} ms; agents consuming again after ${[...took.values()].map((v) => (v === null ? 'never' : `${v} ms`)).join(', ')}`);
      }
    } finally {
      restarting = false;
    }
    await busy;
    await Promise.all(probes);

    // Once more with idle agents: Redis dies while every worker waits on an empty queue, and work
    // only arrives a while after it is back.
    await waitFor(async () => (await stack.db.zcard(stack.keys.runsActive())) === 0, { what: 'no active run', timeoutMs: 120_000, intervalMs: 200 });
    await stack.redis.kill();
    await sleep(rng.int(1000, 3000));
    await stack.redis.start();
    await sleep(2000);
    const idleSince = Date.now();
    let idleChecked = false;
    const more = sub.keepBusy(size.lanes, () => idleChecked);
    const idleTook = await waitAgentsConsuming(stack, agentIds, idleSince, CONSUME_WITHIN_MS);
    idleChecked = true;
    await more;
    await reportStuck('restart with idle agents', idleTook);
    log(`restart with idle agents: consuming again after ${[...idleTook.values()].map((v) => (v === null ? 'never' : `${v} ms`)).join(', ')} once work arrived`);

    const audit = await settleAndAudit(stack, sub.accepted, 120_000);
    rec.audit(audit);
    rec.submissions(sub.stats);
    const apiBack = ups.map((u) => sub.firstAcceptedAfter(u)).flatMap((a, i) => (a === null ? [] : [a - ups[i]!]));
    const resume = distribution(resumeMs);
    const api = distribution(apiBack);
    rec.count('restarts', ups.length + 1);
    rec.figure('idleRestartFirstTaskMaxMs', [...idleTook.values()].every((v) => v !== null) ? Math.max(...(idleTook.values() as Iterable<number>)) : null);
    rec.figure('redisDownP50Ms', distribution(downMs).p50);
    rec.figure('redisDownMaxMs', distribution(downMs).max);
    rec.figure('agentResumeP50Ms', resume.p50);
    rec.figure('agentResumeMaxMs', resume.max);
    rec.figure('firstAcceptAfterRestartP50Ms', api.p50);
    rec.figure('firstAcceptAfterRestartMaxMs', api.max);
    rec.faults = `${ups.length + 1} Redis kill -9 + restart`;
    rec.headline = `agents consuming again: p50 ${formatMs(resume.p50)}, max ${formatMs(resume.max)}; API accepting again: max ${formatMs(api.max)}`;

    rec.check(sub.accepted.length >= size.runs, `only ${sub.accepted.length} of ${size.runs} runs were accepted`);
    rec.check(sub.stats.refused > 0, 'no submission was refused while Redis was down');
  },
};
