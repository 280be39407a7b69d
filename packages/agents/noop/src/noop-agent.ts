import { noopSpec, type NoopInput } from '@baton/contracts';
import { defineAgent, StageFailure } from '@baton/runtime';
import { noopEnv } from './env.js';
import { recordExecution } from './ledger.js';

/** Resolves after `ms`, or rejects when the signal fires (unless told to ignore it). */
function sleep(ms: number, signal: AbortSignal, ignoreAbort: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    if (ignoreAbort) return;
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Keeps the CPU (and this thread's event loop) busy. */
function burnCpu(ms: number): void {
  const until = Date.now() + ms;
  let x = 0;
  while (Date.now() < until) x += Math.sqrt(x + 1);
}

function shouldFail(input: NoopInput, attempt: number): { code: string; message: string; retryable: boolean } | null {
  if (input.fail === false) return null;
  if (input.fail === true) return { code: 'NOOP_FAILURE', message: 'noop was told to fail', retryable: true };
  return attempt <= input.fail.untilAttempt ? input.fail : null;
}

/** The noop agent: sleeps for input.ms (reporting progress), fails when told to, echoes its input. */
export const noopAgent = defineAgent({
  ...noopSpec,
  async handler({ input, signal, attempt, upstream, progress, runId, stage, jobId, agentId, output, item }) {
    const startedAt = new Date().toISOString();
    const entry = { runId, stage, attempt, jobId, agentId, pid: process.pid };
    // The model test checks that no attempt starts after its run was cancelled or paused.
    recordExecution(noopEnv.BATON_NOOP_LEDGER, { ...entry, at: startedAt, startedAt, phase: 'start' });
    if (input.cpuMs > 0) burnCpu(input.cpuMs);
    if (input.print) {
      if (input.print.secret) output.redact(input.print.secret);
      for (let i = 1; i <= input.print.lines; i++) {
        output.write(`line ${i} of ${input.print.lines}${input.print.secret ? ` token=${input.print.secret}` : ''}\n`);
        if (input.print.everyMs > 0) await sleep(input.print.everyMs, signal, input.ignoreAbort);
      }
    }
    const steps = input.ms >= 1000 ? 4 : 1;
    for (let i = 0; i < steps; i++) {
      await sleep(input.ms / steps, signal, input.ignoreAbort);
      if (steps > 1) progress({ percent: ((i + 1) / steps) * 100, message: `step ${i + 1} of ${steps}` });
    }
    recordExecution(noopEnv.BATON_NOOP_LEDGER, { ...entry, at: new Date().toISOString(), startedAt });
    const failure = shouldFail(input, attempt);
    if (failure) throw new StageFailure(failure.code, failure.message, { retryable: failure.retryable });
    return { echo: input.echo ?? null, upstream: Object.keys(upstream).sort(), sleptMs: input.ms, attempt, ...(item === undefined ? {} : { item }) };
  },
});
