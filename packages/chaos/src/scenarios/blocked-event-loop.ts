import type { AgentView, RunView } from '@baton/contracts';
import { waitFor } from '@baton/testing';
import { api } from '../api.js';
import { settleAndAudit } from '../audit.js';
import type { Scenario } from '../scenario.js';
import type { AgentProcess } from '../stack.js';
import { formatMs } from '../stats.js';
import { Submitter } from '../submitter.js';

const BLOCKER_LOCK_MS = 1000;
const RESCUER_LOCK_MS = 30_000;

/**
 * 4. An agent whose event loop is blocked longer than its lock: the noop agent busy-loops the CPU
 * (`cpuMs`) right after taking the stage, so it cannot renew its BullMQ lock — while its heartbeat
 * thread keeps it looking alive. Each round the "blocker" (1 s lock) takes the stage alone, then a
 * "rescuer" agent (long lock) starts; its stalled-job check finds the expired lock and runs the stage
 * again. When the blocker's loop frees, it completes the stale execution: BullMQ must reject that
 * completion (it no longer holds the lock), and the stage must be committed once, from the rescuer.
 */
export const blockedEventLoop: Scenario<{ rounds: number; cpuMs: number }> = {
  id: 4,
  name: 'blocked-event-loop',
  title: "block an agent's event loop longer than its lock",
  invariant: 'the stale execution is aborted on lock loss or its completion rejected (never committed); the stage is committed once; the blocker shows wedged',
  sizes: {
    full: { rounds: 5, cpuMs: 5000 },
    reduced: { rounds: 2, cpuMs: 5000 },
  },
  async run({ rec, log, stack: newStack }, size) {
    const stack = await newStack();
    await stack.startOrchestrator(0);
    const lockEnv = (lockMs: number) => ({
      BATON_AGENT_CONCURRENCY: '1',
      // The scenario needs the blocker to live through its block (5 s against a 1 s lock) and attempt
      // the stale completion: its heartbeat thread must not kill it as wedged (the registry still
      // shows it `wedged` meanwhile; e2e agent-liveness.test.ts covers the kill).
      BATON_WEDGED_EXIT_LOCKS: '0',
      BATON_LOCK_DURATION_MS: String(lockMs),
      BATON_STALLED_INTERVAL_MS: '500',
      BATON_MAX_STALLED: '100',
    });
    const blocker = await stack.startAgent(lockEnv(BLOCKER_LOCK_MS));
    const sub = new Submitter(stack, () => ({
      request: {
        definition: {
          stages: [
            { name: 'block', agent: 'noop', input: { cpuMs: size.cpuMs, ms: 100 } },
            { name: 'after', agent: 'noop', dependsOn: ['block'], input: { ms: 50 } },
          ],
        },
      },
      stageMs: { block: 100, after: 50 },
    }));

    const rounds: { runId: string; rescuer: AgentProcess; seenWhileBlocked: AgentView }[] = [];
    for (let r = 1; r <= size.rounds; r++) {
      const run = (await sub.submit())!;
      const jobId = `${run.id}.block.1`;
      await waitFor(async () => (await stack.agentViews()).some((a) => a.id === blocker.id && a.active.includes(jobId)), {
        what: `the blocker agent to take ${jobId}`,
        timeoutMs: 30_000,
      });
      const rescuer = await stack.startAgent(lockEnv(RESCUER_LOCK_MS));
      // How the blocker looks in the registry while its loop is stuck (its heartbeat thread still beats).
      let seenWhileBlocked: AgentView | null = null;
      await waitFor(
        async () => {
          const blockerView = (await stack.agentViews()).find((a) => a.id === blocker.id);
          if (blockerView && blockerView.eventLoopBlockedMs >= (seenWhileBlocked?.eventLoopBlockedMs ?? 0)) seenWhileBlocked = blockerView;
          const res = await api<RunView>(stack.url(), 'GET', `/v1/runs/${run.id}`);
          return res.status === 200 && ['succeeded', 'failed', 'cancelled'].includes(res.body.status);
        },
        { what: `run ${run.id} to finish`, timeoutMs: 60_000, intervalMs: 200 },
      );
      await rescuer.proc.kill('SIGTERM'); // graceful: the next round starts a fresh rescuer
      const seen = seenWhileBlocked as AgentView | null;
      if (!seen) throw new Error(`the blocker ${blocker.id} vanished from the registry while blocked`);
      rounds.push({ runId: run.id, rescuer, seenWhileBlocked: seen });
      log(`round ${r}: the blocker looked ${seen.liveness} with its event loop blocked up to ${seen.eventLoopBlockedMs} ms`);
    }

    const audit = await settleAndAudit(stack, sub.accepted, 60_000);
    rec.audit(audit);
    rec.submissions(sub.stats);
    let staleRejected = 0;
    for (const round of rounds) {
      const block = audit.views.get(round.runId)?.stages.find((s) => s.name === 'block');
      const staleRan = audit.ledger.of(round.runId, 'block').some((e) => e.agentId === blocker.id);
      rec.check(
        block?.agentId !== blocker.id,
        `run ${round.runId}: the stage was committed from the blocker's stale execution (its loop was blocked ${size.cpuMs} ms, its lock is ${BLOCKER_LOCK_MS} ms)`,
      );
      if (staleRan && block?.status === 'succeeded' && block.agentId !== blocker.id) staleRejected++;
    }
    const rejectionsLogged = (blocker.proc.output().match(/Missing lock|Lock mismatch/g) ?? []).length;
    // Since issue 13 (defect 6) the blocker learns it lost the lock as soon as its loop frees (its renewal
    // fails) and aborts the handler, so the stale execution usually stops before it could complete.
    const abortedOnLockLoss = (blocker.proc.output().match(/"code":"LOCK_LOST"/g) ?? []).length;
    rec.figure('staleExecutionsAbortedOnLockLoss', abortedOnLockLoss);
    const blockedMs = Math.max(...rounds.map((r) => r.seenWhileBlocked.eventLoopBlockedMs));
    rec.count('rounds', rounds.length);
    rec.count('staleCompletionsRejected', staleRejected);
    rec.figure('lockRejectionsInBlockerLog', rejectionsLogged);
    rec.figure('blockerLivenessWhileBlocked', [...new Set(rounds.map((r) => r.seenWhileBlocked.liveness))].join(','));
    rec.figure('blockerEventLoopBlockedMaxMs', blockedMs);
    rec.faults = `${rounds.length} × event loop blocked ${formatMs(size.cpuMs)} (lock ${formatMs(BLOCKER_LOCK_MS)})`;
    rec.headline = `${abortedOnLockLoss} stale executions aborted on lock loss, ${staleRejected} stale completions rejected; blocker looked "${rec.figures.blockerLivenessWhileBlocked}" while blocked ${formatMs(blockedMs)}`;
    rec.check(abortedOnLockLoss + staleRejected >= rounds.length, 'a stale execution was neither aborted on lock loss nor had its completion rejected');
    rec.check(rounds.every((r) => r.seenWhileBlocked.liveness === 'wedged'), 'the blocker did not show wedged while its loop was blocked past its lock');
  },
};
