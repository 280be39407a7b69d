import { randomUUID } from 'node:crypto';
import { api } from '../api.js';
import { sleep } from '../stats.js';
import type { ModelCommand, StagePlan } from './commands.js';
import { MODEL_AGENT_ENV, MODEL_LOCK_MS, type ModelStack } from './model-stack.js';
import type { RunTrace, SequenceTrace } from './trace.js';

/** The submission body of a planned run: a chain s1 → s2 → … of noop stages. */
export function runRequest(stages: StagePlan[], maxAttempts: number): unknown {
  return {
    definition: {
      stages: stages.map((s, i) => ({
        name: `s${i + 1}`,
        agent: 'noop',
        ...(i > 0 ? { dependsOn: [`s${i}`] } : {}),
        retry: { maxAttempts, backoff: { type: 'fixed', delayMs: 300 } },
        input: { ms: s.ms, cpuMs: s.cpuMs, fail: s.failUntil > 0 ? { untilAttempt: s.failUntil, code: 'MODEL_FAILURE' } : false },
      })),
    },
  };
}

/** Answers an operator action may give without it being a defect (the run was in another state, or gone). */
const REFUSALS = new Set([404, 409]);

/**
 * Executes one model sequence against the shared stack. Every fault is repaired as a supervisor
 * would (a killed process is replaced at once); the API is called through a live orchestrator,
 * alternating between the two. `scope` names the sequence's idempotency keys (its namespace).
 */
export async function executeSequence(m: ModelStack, commands: readonly ModelCommand[], scope: string): Promise<SequenceTrace> {
  const trace: SequenceTrace = { runs: new Map(), keys: new Map(), keyRefusals: [], unexpected: [], startedAt: Date.now(), finishedAt: 0 };
  const order: RunTrace[] = [];
  const background = new Set<Promise<unknown>>();
  const later = (p: Promise<unknown>) => {
    const q = p.catch((e: unknown) => trace.unexpected.push(`background repair failed: ${String(e)}`));
    background.add(q);
    void q.finally(() => background.delete(q));
  };
  let turn = 0;
  const call = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    for (let i = 0; ; i++) {
      try {
        const res = await api<unknown>(await m.url(turn++), method, path, body, { ...(headers ? { headers } : {}), timeoutMs: 15_000 });
        if (res.status !== 503 || i >= 40) return res;
      } catch (e: unknown) {
        if (i >= 40) throw e;
      }
      await sleep(250); // orchestrator restarting or Redis down: retry like a client would
    }
  };

  for (const c of commands) {
    const target = c.kind !== 'submit' && 'run' in c && order.length > 0 ? order[c.run % order.length]! : null;
    switch (c.kind) {
      case 'submit': {
        const key = c.key === null ? null : `${scope}-k${c.key}`;
        const res = await call('POST', '/v1/runs', runRequest(c.stages, c.maxAttempts), key ? { 'idempotency-key': key } : undefined);
        const id = (res.body as { id?: string } | null)?.id;
        if ((res.status === 202 || res.status === 200) && id) {
          if (key) trace.keys.set(key, (trace.keys.get(key) ?? new Set()).add(id));
          if (!trace.runs.has(id)) {
            const t: RunTrace = {
              id,
              maxAttempts: c.maxAttempts,
              stages: c.stages.map((_, i) => `s${i + 1}`),
              blocking: new Map(c.stages.flatMap((s, i) => (s.cpuMs >= MODEL_LOCK_MS / 2 ? [[`s${i + 1}`, s.cpuMs] as const] : []))),
              key,
              actions: [],
            };
            trace.runs.set(id, t);
            order.push(t);
          }
        } else if (key && [409, 410, 422].includes(res.status)) {
          trace.keyRefusals.push(`${key}: ${res.status}`);
        } else {
          trace.unexpected.push(`submit answered ${res.status}: ${JSON.stringify(res.body).slice(0, 200)}`);
        }
        break;
      }
      case 'cancel':
      case 'pause':
      case 'resume':
      case 'retry':
      case 'retryFrom': {
        if (!target) break;
        const kind = c.kind === 'retryFrom' ? 'retry' : c.kind;
        const body = c.kind === 'retryFrom' ? { fromStage: target.stages[c.stage % target.stages.length] } : undefined;
        const sentAt = Date.now();
        const res = await call('POST', `/v1/runs/${target.id}/${kind}`, body);
        if (res.status === 200) target.actions.push({ kind, sentAt, ackAt: Date.now() });
        else if (!REFUSALS.has(res.status)) trace.unexpected.push(`${kind} ${target.id} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 200)}`);
        break;
      }
      case 'age': {
        // Makes the run due for retention (as if its retention age had passed): if it is finished,
        // the next reconciler pass deletes it. Only a finished run is in the index at all.
        if (!target) break;
        const sentAt = Date.now();
        const aged = await m.stack.db.zadd(m.stack.keys.runsFinished(), 'XX', 0, target.id).catch(() => null);
        if (aged !== null) target.actions.push({ kind: 'age', sentAt, ackAt: Date.now() });
        break;
      }
      case 'drain': {
        const a = m.agent(c.which);
        if (!a) break;
        const res = await call('POST', `/v1/agents/${a.id}/drain`);
        if (res.status !== 202 && !REFUSALS.has(res.status)) trace.unexpected.push(`drain ${a.id} answered ${res.status}`);
        later(m.stack.startAgent(MODEL_AGENT_ENV));
        break;
      }
      case 'restartAgent':
      case 'killAgent': {
        const a = m.agent(c.which);
        if (!a) break;
        if (c.kind === 'killAgent') await m.stack.killAgent(a);
        else {
          a.killedAt = Date.now();
          await a.proc.kill('SIGTERM');
        }
        later(m.stack.startAgent(MODEL_AGENT_ENV));
        break;
      }
      case 'killOrchestrator': {
        if (!m.stack.orchestratorUp(c.which)) break;
        await m.stack.killOrchestrator(c.which);
        later(m.stack.startOrchestrator(c.which));
        break;
      }
      case 'restartRedis': {
        await m.stack.redis.kill();
        await sleep(300);
        await m.stack.redis.start();
        break;
      }
      case 'wait':
        await sleep(c.ms);
        break;
    }
  }
  await Promise.all([...background]);
  trace.finishedAt = Date.now();
  return trace;
}

/** A scope (idempotency-key prefix) unique to one sequence. */
export function newScope(): string {
  return `seq-${randomUUID().slice(0, 8)}`;
}
