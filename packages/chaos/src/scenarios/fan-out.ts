import type { RunEvent, RunView } from '@baton/contracts';
import { waitFor } from '@baton/testing';
import { api } from '../api.js';
import { readEvents, settleAndAudit } from '../audit.js';
import type { Scenario } from '../scenario.js';
import type { AgentProcess } from '../stack.js';
import { formatMs, sleep } from '../stats.js';
import { Submitter } from '../submitter.js';

/** plan echoes the item list; build fans out over it; ship fans in (gets the list of build outputs). */
function fanOutRun(items: number, maxParallel: number, ms: number) {
  const packages = Array.from({ length: items }, (_, i) => ({ name: `pkg-${i}` }));
  return {
    packages,
    spec: {
      request: {
        definition: {
          stages: [
            { name: 'plan', agent: 'noop', input: { echo: { packages } } },
            {
              name: 'build',
              agent: 'noop',
              dependsOn: ['plan'],
              forEach: { $from: 'stages.plan.output.echo.packages', maxParallel, maxItems: items },
              input: { echo: { pkg: { $from: 'item.name' } }, ms },
              retry: { maxAttempts: 3, backoff: { type: 'fixed' as const, delayMs: 100 } },
            },
            { name: 'ship', agent: 'noop', dependsOn: ['build'], input: { echo: { $from: 'stages.build.output' } } },
          ],
        },
      },
      stageMs: { plan: 0, build: ms, ship: 0 },
    },
  };
}

/**
 * 10. A fan-out stage of `items` items (forEach over an upstream list) while agents holding items
 * are killed with -9 again and again (a replacement starts at once) and the orchestrator once. Each
 * item must be committed exactly once (one stage.item.succeeded per item), the fan-in output must
 * hold every item in order, no job of a superseded dispatch may execute, and the run must succeed.
 */
export const fanOutFaults: Scenario<{ runs: number; items: number; maxParallel: number; kills: number; agents: number; concurrency: number; itemMs: number }> = {
  id: 10,
  name: 'fan-out',
  title: 'fan-out (forEach) under agent and orchestrator kill -9',
  invariant: 'each item committed exactly once, fan-in output complete and in order, no superseded item job executed, 0 lost runs',
  sizes: {
    full: { runs: 2, items: 200, maxParallel: 12, kills: 12, agents: 3, concurrency: 4, itemMs: 150 },
    reduced: { runs: 1, items: 50, maxParallel: 8, kills: 4, agents: 3, concurrency: 4, itemMs: 100 },
  },
  async run({ rng, rec, log, stack: newStack }, size) {
    const stack = await newStack();
    await stack.startOrchestrator(0);
    const agentEnv = { BATON_AGENT_CONCURRENCY: String(size.concurrency), BATON_MAX_STALLED: '1000' };
    await Promise.all(Array.from({ length: size.agents }, () => stack.startAgent(agentEnv)));

    const { packages, spec } = fanOutRun(size.items, size.maxParallel, size.itemMs);
    const sub = new Submitter(stack, () => spec);
    await sub.submitMany(size.runs, size.runs);
    const ids = sub.accepted.map((r) => r.id);

    /** Items committed so far over all runs (null while no orchestrator answers). */
    const progress = async (): Promise<{ done: number; finished: boolean } | null> => {
      let done = 0;
      let finished = true;
      for (const id of ids) {
        const res = await api<RunView>(stack.url(), 'GET', `/v1/runs/${id}`).catch(() => null);
        if (!res || res.status !== 200) return null;
        done += res.body.stages[1]?.items?.counts.succeeded ?? 0;
        if (!['succeeded', 'failed', 'cancelled'].includes(res.body.status)) finished = false;
      }
      return { done, finished };
    };

    const total = size.runs * size.items;
    let kills = 0;
    let orchestratorKilled = false;
    let orchestratorDownMs = 0;
    const replacements = new Set<Promise<unknown>>();
    const started = Date.now();
    // Spread the kills over the items: the k-th kill when k/(kills+1) of them are committed.
    while (kills < size.kills) {
      const due = Math.floor(((kills + 1) * total) / (size.kills + 2));
      const p = await waitFor(async () => {
        const now = stack.orchestratorUp(0) ? await progress() : null;
        return now && (now.finished || now.done >= due) ? now : undefined;
      }, { what: `${due} items committed`, timeoutMs: 240_000, intervalMs: 150 });
      if (p.finished) break;
      if (!orchestratorKilled && kills === Math.floor(size.kills / 2)) {
        orchestratorKilled = true;
        const down = Date.now();
        await stack.killOrchestrator(0);
        await sleep(rng.int(200, 1500));
        await stack.startOrchestrator(0);
        orchestratorDownMs = Date.now() - down;
        log(`orchestrator killed and back after ${orchestratorDownMs} ms (${p.done}/${total} items committed)`);
      }
      const live = new Map(stack.liveAgents().map((a): [string, AgentProcess] => [a.id, a]));
      const views = await stack.agentViews().catch(() => []);
      const busy = views.filter((v) => live.has(v.id) && v.active.length > 0).sort((a, b) => a.id.localeCompare(b.id));
      if (busy.length === 0) {
        await sleep(100);
        continue;
      }
      await stack.killAgent(live.get(rng.pick(busy).id)!);
      kills++;
      const replacement = stack.startAgent(agentEnv).catch((e: unknown) => log(`replacement agent did not start: ${String(e)}`));
      replacements.add(replacement);
      void replacement.finally(() => replacements.delete(replacement));
      log(`${kills} agent kills (${p.done}/${total} items committed)`);
    }
    const faultsMs = Date.now() - started;
    await Promise.all([...replacements]);

    const audit = await settleAndAudit(stack, sub.accepted, 300_000);
    rec.audit(audit);
    rec.submissions(sub.stats);

    const killedAgents = new Set([...stack.agents.values()].filter((a) => a.killedAt !== null).map((a) => a.id));
    const events = await readEvents(stack, ids);
    let itemCommits = 0;
    let itemReexecutions = 0;
    for (const id of ids) {
      const view = audit.views.get(id);
      const history: RunEvent[] = events.get(id) ?? [];
      const committed = history.filter((e) => e.type === 'stage.item.succeeded' && e.stage === 'build').map((e) => (e as { item: number }).item);
      itemCommits += committed.length;
      const distinct = new Set(committed);
      rec.check(committed.length === size.items && distinct.size === size.items, `${id}: ${committed.length} stage.item.succeeded events for ${distinct.size} distinct items (want ${size.items} each once)`);
      const build = view?.stages.find((s) => s.name === 'build');
      const items = (build?.output as { item?: unknown }[] | null | undefined)?.map((o) => o.item) ?? [];
      rec.check(JSON.stringify(items) === JSON.stringify(packages), `${id}: the fan-in output has ${items.length} entries, not the ${size.items} items in order`);
      const shipped = ((view?.stages.find((s) => s.name === 'ship')?.output as { echo?: unknown[] } | null | undefined)?.echo ?? []).length;
      rec.check(shipped === size.items, `${id}: the downstream stage received ${shipped} item outputs, not ${size.items}`);

      // The dispatch the items belong to: every item job that ran must be of it.
      const queued = history.filter((e) => e.type === 'stage.queued' && e.stage === 'build');
      const dispatch = (queued.at(-1) as { dispatch?: number } | undefined)?.dispatch;
      rec.check(queued.length === 1, `${id}: the fan-out stage was dispatched ${queued.length} times`);
      const starts = audit.ledger.starts.filter((e) => e.runId === id && e.stage === 'build');
      const stale = starts.filter((e) => !new RegExp(`\\.build\\.${dispatch}\\.\\d+$`).test(e.jobId));
      rec.check(stale.length === 0, `${id}: ${stale.length} item job(s) of a superseded dispatch executed: ${stale.slice(0, 3).map((e) => e.jobId).join(', ')}`);
      // An item job ran more than once only when an agent killed with -9 held it.
      const byJob = new Map<string, string[]>();
      for (const e of starts) byJob.set(e.jobId, [...(byJob.get(e.jobId) ?? []), e.agentId]);
      rec.check(byJob.size === size.items, `${id}: ${byJob.size} distinct item jobs executed, not ${size.items}`);
      for (const [jobId, agents] of byJob) {
        itemReexecutions += agents.length - 1;
        const unexplained = agents.slice(0, -1).filter((a) => !killedAgents.has(a));
        rec.check(unexplained.length === 0, `${jobId} ran again although its earlier agent ${unexplained.join(', ')} was not killed`);
      }
    }

    rec.count('kills', kills);
    rec.count('orchestratorKills', orchestratorKilled ? 1 : 0);
    rec.count('items', total);
    rec.count('itemCommits', itemCommits);
    rec.count('itemReexecutions', itemReexecutions);
    rec.figure('orchestratorDownMs', orchestratorDownMs);
    rec.figure('faultsPhaseMs', faultsMs);
    rec.faults = `${kills} agent kill -9 + ${orchestratorKilled ? 1 : 0} orchestrator kill -9 during ${size.runs}×${size.items} items`;
    rec.headline = `${itemCommits}/${total} items committed once, ${itemReexecutions} item re-executions; settled ${formatMs(audit.settleMs)} after the faults`;

    rec.check(kills >= 1, 'no agent was killed while holding items: the fault was never injected');
    rec.check(orchestratorKilled, 'the orchestrator was never killed during the fan-out');
  },
};
