import type { EngineContext } from './context.js';
import type { TaskEnvelope } from '@baton/contracts';
import { commitExtras } from './commit-extras.js';
import type { Transition } from './reducer.js';
import type { RunDoc } from './run-doc.js';
import type { LoadedRun } from './store/run-store.js';

export interface Committed {
  prev: LoadedRun;
  next: LoadedRun;
  transition: Transition;
  /**
   * Jobs the transition dropped that its commit already removed (they were finished). Set when the
   * commit was asked to remove dropped jobs: the others were not finished then (effects.ts).
   */
  removed?: ReadonlySet<string>;
  /**
   * Task envelopes of the stage jobs the transition queues, built from the committed document before
   * the commit, which recorded their resolved inputs (resolved-inputs.ts): effects add them as they are.
   */
  envelopes?: ReadonlyMap<string, TaskEnvelope>;
}

const MAX_TRIES = 50;

/**
 * Loads a run, computes a transition and commits it against the loaded revision, retrying on
 * conflict. Returns null when the run is missing or the transition is a no-op. `fn` may throw
 * (e.g. EngineError for an invalid request); nothing is written then.
 */
export async function mutateRun(
  ctx: EngineContext,
  runId: string,
  fn: (doc: RunDoc, now: number) => Transition | null,
  /**
   * The run as read a moment ago or last committed by this process (saves a round trip; a stale
   * copy only costs a conflict retry, or a fresh read when it shows nothing to do).
   */
  preloaded?: LoadedRun | null,
): Promise<Committed | null> {
  for (let i = 0; i < MAX_TRIES; i++) {
    const early = i === 0 && preloaded !== undefined;
    const prev = early ? preloaded : await ctx.store.load(runId);
    if (!prev) return null;
    const transition = fn(prev.doc, ctx.now());
    // An early copy may predate a commit it must see (a newer dispatch that a fact is about):
    // "nothing to do" is only concluded from a fresh read.
    if (!transition) {
      if (early) continue;
      return null;
    }
    const { finished, fields, envelopes } = commitExtras(ctx, prev.doc, transition.doc);
    const r = await ctx.store.commit(prev, transition, finished, fields);
    if (r.ok) return { prev, next: { doc: transition.doc, rev: r.rev }, transition, removed: r.removed, envelopes };
    if (r.reason === 'missing') return null;
    if (r.reason === 'slot-busy') throw new Error(`run ${runId}: a transition took a concurrency slot outside grantSlot (slots.ts)`);
    await new Promise((res) => setTimeout(res, Math.random() * Math.min(50, 2 * (i + 1))));
  }
  throw new Error(`run ${runId}: gave up after ${MAX_TRIES} conflicting commits`);
}
