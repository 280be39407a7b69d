import type { PipelineDefinition } from '@baton/contracts';
import { preciseNow } from '../clock.js';
import type { BenchStack } from '../stack.js';
import { sleep } from '../stats.js';

export interface LoopResult {
  /** Stages finished during the measured window, and its length. */
  stages: number;
  seconds: number;
  submitted: number;
}

/**
 * Keeps `inFlight` runs active: submits a new run whenever one finishes. Stops submitting once
 * `total` runs were submitted (if given) or after the measured window, then waits for every run to
 * finish. Measures finished stages (of `agent`) from `warmupS` to `warmupS + windowS`: run completions
 * come in waves (every run waits behind the others' stages), stage completions do not.
 */
export async function closedLoop(
  stack: BenchStack,
  definition: PipelineDefinition,
  input: () => Record<string, unknown>,
  o: { inFlight: number; warmupS?: number; windowS?: number; total?: number; agent?: string },
): Promise<LoopResult> {
  let submitted = 0;
  const t0 = preciseNow();
  let mark: { at: number; stages: number } | null = null;
  let end: { at: number; stages: number } | null = null;
  const stages = () => stack.stagesFinished(o.agent ?? 'noop');
  for (;;) {
    const f = await stack.finished();
    const finished = f.succeeded + f.failed;
    if (f.failed > 0) throw new Error(`${f.failed} runs failed`);
    const now = preciseNow();
    const elapsed = (now - t0) / 1000;
    if (o.windowS !== undefined) {
      if (!mark && elapsed >= (o.warmupS ?? 0)) mark = { at: now, stages: await stages() };
      if (mark && !end && elapsed >= (o.warmupS ?? 0) + o.windowS) end = { at: now, stages: await stages() };
    }
    const want = Math.min(o.inFlight - (submitted - finished), (o.total ?? Infinity) - submitted);
    const stopSubmitting = end !== null;
    if (!stopSubmitting && want > 0) {
      const batch = Math.min(want, 200);
      await stack.submit(batch, definition, input);
      submitted += batch;
      continue;
    }
    if ((stopSubmitting || submitted >= (o.total ?? Infinity)) && finished >= submitted) {
      end ??= { at: now, stages: await stages() };
      mark ??= { at: t0, stages: 0 };
      return { stages: end.stages - mark.stages, seconds: (end.at - mark.at) / 1000, submitted };
    }
    await sleep(20);
  }
}
