import type { TaskEnvelope } from '@baton/contracts';
import type { EngineContext } from './context.js';
import { buildEnvelope } from './envelope.js';
import { addedJobs, droppedJobs } from './jobs.js';
import { resolvedInputField, resolvedInputJson } from './resolved-inputs.js';
import type { RunDoc } from './run-doc.js';
import type { FieldWrite, FinishedJobRemoval } from './store/run-store.js';

/** What a run commit does beside the transition itself, for a change from `prev` to `next`. */
export interface CommitExtras {
  /**
   * Jobs the change drops (usually the job whose result it applies): the commit removes each one
   * found finished, in the same script (RunStore.commit), instead of a second call after its reply.
   */
  finished: FinishedJobRemoval[];
  /** The resolved-input records of the stage jobs the change queues (resolved-inputs.ts). */
  fields: FieldWrite[];
  /**
   * Their task envelopes, built from `next` (deterministic): the commit's effects add them as they
   * are. A stage whose envelope cannot be built has neither: its dispatch fails it (effects.ts).
   * Fan-out items are built by the effects, as before.
   */
  envelopes: Map<string, TaskEnvelope>;
}

export function commitExtras(ctx: EngineContext, prev: RunDoc, next: RunDoc): CommitExtras {
  const finished = droppedJobs(prev, next).map((j) => ({ jobId: j.jobId, keys: ctx.queues.finishedJobKeys(j.agent, j.jobId) }));
  const envelopes = new Map<string, TaskEnvelope>();
  const fields: FieldWrite[] = [];
  for (const job of addedJobs(prev, next)) {
    if (job.item !== null) continue;
    const built = buildEnvelope(next, job.stage, null, ctx.config.maxStageInputBytes);
    if ('error' in built) continue;
    envelopes.set(job.jobId, built.envelope);
    fields.push({ key: ctx.keys.runInputs(next.id), field: resolvedInputField(job.stage, job.dispatch), value: resolvedInputJson(job.dispatch, built.envelope.input) });
  }
  return { finished, fields, envelopes };
}
