import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentView, RunEvent, RunView } from '@baton/contracts';
import { ENTRYPOINTS, http, spawnAgent, spawnOrchestrator, testNamespace, waitFor, type BatonProcess, type TestRedisTarget } from '@baton/testing';
import { expect } from 'vitest';

/** A three-stage chain of noop stages (a → b → c). */
export const CHAIN = (ms: number) => ({
  definition: {
    stages: [
      { name: 'a', agent: 'noop', input: { ms } },
      { name: 'b', agent: 'noop', dependsOn: ['a'], input: { ms } },
      { name: 'c', agent: 'noop', dependsOn: ['b'], input: { ms } },
    ],
  },
});

/** Submits with an Idempotency-Key, retrying (as a client must) until the run is accepted. */
async function submitUntilAccepted(base: string, key: string, body: unknown): Promise<{ id: string; refused: number }> {
  let refused = 0;
  const id = await waitFor(
    async () => {
      const res = await http<RunView>(base, 'POST', '/v1/runs', body, { headers: { 'idempotency-key': key }, timeoutMs: 5000 }).catch(() => null);
      if (res?.status === 202) return res.body.id;
      refused++;
      return undefined;
    },
    { what: `run ${key} accepted`, timeoutMs: 30_000, intervalMs: 200 },
  );
  return { id, refused };
}

async function events(base: string, id: string): Promise<RunEvent[]> {
  const text = await (await fetch(`${base}/v1/runs/${id}/events`, { signal: AbortSignal.timeout(10_000) })).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as RunEvent);
}

interface LedgerLine {
  runId: string;
  stage: string;
  attempt: number;
  /** `start`: the line a handler writes as it begins (the noop ledger records starts and returns). */
  phase?: 'start';
}

function executions(file: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(file)) return counts;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as LedgerLine;
    if (e.phase === 'start') continue; // the line a handler writes as it begins; executions are the lines of returns
    const k = `${e.runId}/${e.stage}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

export interface FailoverOutcome {
  accepted: number;
  refusedSubmissions: number;
  /** ms from the failover being forced until every node/sentinel agreed on the new master. */
  failoverMs: number;
  /** ms from the failover settling until the first stage started after it (the agents consume again). */
  consumingAgainMs: number;
  /** Stage executions beyond the first (each still committed once). */
  reExecutions: number;
}

export interface FailoverExpectations {
  /**
   * A coordinated failover (CLUSTER FAILOVER) loses no write, so every stage runs exactly once. An
   * uncoordinated one (Sentinel) can lose a lock or a completion the old master acknowledged within
   * `min-replicas-max-lag`: the stage runs again — and is still committed once. Then allow this many.
   */
  maxReExecutions: number;
}

/**
 * Real processes (one orchestrator, two noop agents) on `target`; runs are submitted before and
 * while `failover()` runs. Every accepted run must succeed, each stage committed once and executed
 * at least once — exactly once unless `expect.maxReExecutions` allows more (the noop agents'
 * ledger) — and afterwards no agent may be deaf: a new run completes.
 */
export async function runsSurviveFailover(
  target: TestRedisTarget,
  failover: (namespace: string) => Promise<unknown>,
  procs: BatonProcess[],
  expectations: FailoverExpectations = { maxReExecutions: 0 },
): Promise<FailoverOutcome> {
  const ns = testNamespace();
  const ledger = join(tmpdir(), `baton-ledger-${ns}.jsonl`);
  try {
    // Acknowledge a run only once a replica holds it (WAIT 1): a failover cannot lose it.
    // It also checks noeviction on every data node before it starts.
    const orch = await spawnOrchestrator(target, ns, { BATON_ACCEPT_REPLICAS: '1', BATON_REQUIRE_NOEVICTION: 'true' });
    procs.push(orch);
    // Job locks outlast the failover and the writes it pauses (production default 20 s; the spawned
    // agents' default is 3 s), so
    // a stage whose completion waits out the failover is not taken over and executed again.
    const agentEnv = { BATON_NOOP_LEDGER: ledger, BATON_AGENT_CONCURRENCY: '4', BATON_LOCK_DURATION_MS: '30000', BATON_WORKER_WATCHDOG_MS: '3000' };
    for (const id of ['noop-a', 'noop-b']) procs.push(await spawnAgent(ENTRYPOINTS.noop, target, ns, { ...agentEnv, BATON_AGENT_ID: `${id}-${ns}` }));

    const ids: string[] = [];
    let refused = 0;
    const submit = async (n: number) => {
      const r = await submitUntilAccepted(orch.url, `${ns}-${n}`, CHAIN(300));
      ids.push(r.id);
      refused += r.refused;
    };
    for (let i = 0; i < 8; i++) await submit(i);
    await waitFor(async () => (await http<RunView>(orch.url, 'GET', `/v1/runs/${ids[0]}`)).body.stages.some((s) => s.status === 'running'), { what: 'stages in flight' });

    // Keep submitting while the failover happens: nothing accepted may be lost.
    let failing = true;
    const started = Date.now();
    const during = (async () => {
      for (let i = 100; (failing && i < 140) || i < 104; i++) {
        await submit(i);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await failover(ns);
    const failoverMs = Date.now() - started;
    const settledAt = Date.now();
    failing = false;
    await during;

    // A run submitted after the failover completes too: the workers are listening again.
    ids.push((await submitUntilAccepted(orch.url, `${ns}-after`, CHAIN(10))).id);

    const finished: RunView[] = [];
    for (const id of ids) {
      const run = await waitFor(
        async () => {
          const r = (await http<RunView>(orch.url, 'GET', `/v1/runs/${id}`)).body;
          return r.status === 'succeeded' || r.status === 'failed' || r.status === 'cancelled' ? r : undefined;
        },
        { what: `run ${id} finished`, timeoutMs: 40_000, intervalMs: 200 },
      );
      expect(run.status, `run ${id}`).toBe('succeeded');
      finished.push(run);
      const committed = (await events(orch.url, id)).filter((e) => e.type === 'stage.succeeded').map((e) => (e as { stage: string }).stage);
      expect(committed.sort(), `stages committed once in run ${id}`).toEqual(['a', 'b', 'c']);
    }
    // Executed at least once, and more only as far as the failover kind allows (see FailoverExpectations).
    const counts = executions(ledger);
    expect(counts.size).toBe(ids.length * 3);
    const reExecutions = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    expect([...counts.values()].every((n) => n >= 1)).toBe(true);
    if (expectations.maxReExecutions === 0) {
      expect([...counts].filter(([, n]) => n !== 1), 'stages executed more than once').toEqual([]);
    } else {
      expect(reExecutions, `re-executions: ${JSON.stringify([...counts].filter(([, n]) => n !== 1))}`).toBeLessThanOrEqual(expectations.maxReExecutions);
    }

    // No agent is deaf (or gone) after the failover.
    const agents = (await http<{ items: AgentView[] }>(orch.url, 'GET', '/v1/agents')).body.items.filter((a) => a.type === 'noop');
    expect(agents.map((a) => a.liveness)).toEqual(['alive', 'alive']);
    const startsAfter = finished.flatMap((r) => r.stages.map((s) => Date.parse(s.startedAt!))).filter((t) => t >= settledAt);
    return { accepted: ids.length, refusedSubmissions: refused, failoverMs, consumingAgainMs: Math.min(...startsAfter) - settledAt, reExecutions };
  } catch (e: unknown) {
    // Say what the processes saw: the failure alone rarely explains a failover.
    for (const p of procs) process.stderr.write(`--- pid ${p.pid} (last lines)\n${p.output().split('\n').slice(-25).join('\n')}\n`);
    throw e;
  } finally {
    rmSync(ledger, { force: true });
  }
}
