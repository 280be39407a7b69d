import type { RunEvent, RunView } from '@baton/contracts';
import { waitFor } from '@baton/testing';
import { api, errorCode } from '../api.js';
import { readEvents, settleAndAudit } from '../audit.js';
import type { Scenario } from '../scenario.js';
import { distribution, formatMs, sleep } from '../stats.js';
import { Submitter, type RunSpec } from '../submitter.js';

/** build → gate (approval) → deploy, each agent stage a short noop. */
const GATED: RunSpec = {
  request: {
    definition: {
      stages: [
        { name: 'build', agent: 'noop', input: { ms: 50 } },
        { name: 'gate', dependsOn: ['build'], approval: { message: 'deploy {{ stages.build.output.ms }}?' } },
        { name: 'deploy', agent: 'noop', dependsOn: ['gate'], input: { ms: 50 } },
      ],
    },
  },
  stageMs: { build: 50, deploy: 50 },
};

/**
 * 11. Runs wait on an approval stage while the orchestrator is killed with -9 and Redis is killed
 * with -9 and restarted on its AOF (`restarts` times). Afterwards every approval must still be
 * decidable through the API: approved runs succeed with the downstream stage executed and committed
 * exactly once, rejected runs fail with APPROVAL_REJECTED and their downstream stage never executes.
 */
export const approvalFaults: Scenario<{ runs: number; restarts: number; agents: number }> = {
  id: 11,
  name: 'approvals',
  title: 'approvals pending across orchestrator kill -9 and Redis restarts',
  invariant: 'every pending approval still decidable; approved → downstream once, rejected → APPROVAL_REJECTED and downstream never runs',
  sizes: {
    full: { runs: 40, restarts: 3, agents: 2 },
    reduced: { runs: 8, restarts: 1, agents: 1 },
  },
  async run({ rng, rec, log, stack: newStack }, size) {
    const stack = await newStack();
    await stack.startOrchestrator(0);
    await Promise.all(Array.from({ length: size.agents }, () => stack.startAgent()));

    const sub = new Submitter(stack, () => GATED);
    await sub.submitMany(size.runs);
    const ids = sub.accepted.map((r) => r.id);
    const view = async (id: string): Promise<RunView | null> => {
      const res = await api<RunView>(stack.url(), 'GET', `/v1/runs/${id}`).catch(() => null);
      return res?.status === 200 ? res.body : null;
    };
    const allWaiting = (what: string) =>
      waitFor(
        async () => {
          for (const id of ids) if ((await view(id))?.status !== 'waiting') return false;
          return true;
        },
        { what, timeoutMs: 120_000, intervalMs: 250 },
      );
    await allWaiting('every run waiting on its approval');
    // Past the AOF's once-a-second fsync: the waits are on disk before Redis is killed.
    await sleep(1500);

    const downMs: number[] = [];
    for (let r = 1; r <= size.restarts; r++) {
      const down = Date.now();
      await stack.killOrchestrator(0);
      await stack.redis.kill();
      await sleep(rng.int(300, 2000));
      await stack.redis.start();
      await stack.startOrchestrator(0);
      downMs.push(Date.now() - down);
      log(`restart ${r}: orchestrator and Redis down ${downMs.at(-1)} ms`);
      await allWaiting(`every run still waiting after restart ${r}`);
    }

    // Decide: a random half (at least one of each) approved, the rest rejected.
    const order = ids.map((id): [number, string] => [rng.next(), id]).sort((a, b) => a[0] - b[0]).map(([, id]) => id);
    const approved = new Set(order.slice(0, Math.max(1, Math.floor(ids.length / 2))));
    const decideMs: number[] = [];
    const undecidable: string[] = [];
    for (const id of ids) {
      const decision = approved.has(id) ? 'approve' : 'reject';
      const t0 = Date.now();
      const res = await api(stack.url(), 'POST', `/v1/runs/${id}/stages/gate/${decision}`, { comment: `chaos ${decision}` }).catch((e: unknown) => ({ status: 0, body: String(e) }));
      decideMs.push(Date.now() - t0);
      if (res.status !== 200) undecidable.push(`${id}: ${decision} answered ${res.status} ${errorCode(res.body) ?? JSON.stringify(res.body).slice(0, 200)}`);
    }
    rec.check(undecidable.length === 0, `${undecidable.length} approval(s) not decidable after the faults: ${undecidable.slice(0, 5).join('; ')}`);

    const audit = await settleAndAudit(stack, sub.accepted, 120_000);
    // Rejected runs fail on purpose: checked below, not counted as failures.
    const failedBeforeFilter = audit.failed.length;
    audit.failed = audit.failed.filter((f) => approved.has(f.slice(0, f.indexOf(':'))));
    rec.audit(audit);
    rec.submissions(sub.stats);

    const events = await readEvents(stack, ids);
    let downstreamRuns = 0;
    for (const id of ids) {
      const v = audit.views.get(id);
      const deploys = audit.ledger.of(id, 'deploy').length + audit.ledger.starts.filter((e) => e.runId === id && e.stage === 'deploy').length;
      const deployCommits = (events.get(id) ?? []).filter((e: RunEvent) => e.type === 'stage.succeeded' && e.stage === 'deploy').length;
      if (approved.has(id)) {
        const ran = audit.ledger.of(id, 'deploy').length;
        downstreamRuns += ran;
        rec.check(v?.status === 'succeeded', `${id}: approved but the run is ${v?.status ?? 'unknown'}`);
        rec.check(ran === 1 && deployCommits === 1, `${id}: approved; the downstream stage executed ${ran} time(s) and was committed ${deployCommits} time(s) (want 1 and 1)`);
      } else {
        const gate = v?.stages.find((s) => s.name === 'gate');
        rec.check(v?.status === 'failed' && gate?.error?.code === 'APPROVAL_REJECTED', `${id}: rejected but the run is ${v?.status ?? 'unknown'} with gate error ${gate?.error?.code ?? 'none'}`);
        rec.check(deploys === 0 && deployCommits === 0, `${id}: rejected, yet the downstream stage ran (${deploys} ledger lines, ${deployCommits} commits)`);
      }
    }

    const decide = distribution(decideMs);
    rec.count('restarts', downMs.length);
    rec.count('approved', approved.size);
    rec.count('rejected', ids.length - approved.size);
    rec.count('rejectedFailedAsExpected', failedBeforeFilter - audit.failed.length);
    rec.count('downstreamExecutions', downstreamRuns);
    rec.figure('outageMaxMs', distribution(downMs).max);
    rec.figure('decideP50Ms', decide.p50);
    rec.figure('decideMaxMs', decide.max);
    rec.faults = `${downMs.length}× orchestrator kill -9 + Redis kill -9/AOF restart with ${ids.length} approvals pending`;
    rec.headline = `${ids.length - undecidable.length}/${ids.length} decidable after the faults (${approved.size} approved, ${ids.length - approved.size} rejected); decide p50 ${formatMs(decide.p50)}`;

    rec.check(sub.accepted.length >= size.runs, `only ${sub.accepted.length} of ${size.runs} runs were accepted`);
  },
};
