import { commitExtras } from './commit-extras.js';
import type { EngineContext } from './context.js';
import { applyEffects } from './effects.js';
import type { Transition } from './reducer.js';
import type { RunDoc } from './run-doc.js';
import type { LoadedRun } from './store/run-store.js';

/**
 * Group commit of job facts, per run and per process. Facts about one run that this process
 * applies at the same time (the items of a fan-out finishing together) used to race one another:
 * each computed its transition from the same revision, one commit won, every other one was
 * refused, re-read the run and tried again — work quadratic in the number of items. A lane lets
 * one commit be in flight per run: what arrives meanwhile waits, and is then folded, fact after
 * fact, into one compare-and-set commit (RunStore.commitSlices: the last document, and each
 * fact's index, event and counter writes as if committed in turn). The effects follow the
 * group's whole change (prev -> last document), once.
 *
 * Nothing about the promise moves: every fact is still a pure transition committed against the
 * revision it was computed from; another orchestrator's commit still refuses ours (then the whole
 * group is computed again from a fresh read); a fact that changes nothing is concluded so only
 * from a document read or committed after it was asked (as mutateRun does).
 */

export type LaneResult = 'committed' | 'unchanged' | 'missing';

interface Request {
  fn: (doc: RunDoc, now: number) => Transition | null;
  preloaded: LoadedRun | null | undefined;
  settled: boolean;
  resolve: (r: LaneResult) => void;
  reject: (e: unknown) => void;
}

/** Facts folded into one commit at most (bounds the script's size). */
const MAX_GROUP = 128;
const MAX_TRIES = 50;

export class CommitLanes {
  /** Run id -> facts waiting for the commit in flight (a run has an entry while its lane runs). */
  private readonly waiting = new Map<string, Request[]>();

  /**
   * Commits `fn`'s transition of run `runId` (with whatever else waits for the run), then its
   * effects. `preloaded`: the run as read a moment ago, if the caller has it.
   */
  apply(ctx: EngineContext, runId: string, fn: Request['fn'], preloaded?: LoadedRun | null): Promise<LaneResult> {
    return new Promise<LaneResult>((resolve, reject) => {
      const req: Request = { fn, preloaded, settled: false, resolve: () => undefined, reject: () => undefined };
      req.resolve = (r) => {
        req.settled = true;
        resolve(r);
      };
      req.reject = (e) => {
        req.settled = true;
        reject(e);
      };
      const queue = this.waiting.get(runId);
      if (queue) {
        queue.push(req);
        return;
      }
      const q = [req];
      this.waiting.set(runId, q);
      void this.drain(ctx, runId, q);
    });
  }

  private async drain(ctx: EngineContext, runId: string, q: Request[]): Promise<void> {
    try {
      while (q.length > 0) {
        const group = q.splice(0, MAX_GROUP);
        try {
          await this.commitGroup(ctx, runId, group);
        } catch (e: unknown) {
          for (const r of group) if (!r.settled) r.reject(e);
        }
      }
    } finally {
      this.waiting.delete(runId);
    }
  }

  /** The run as this process last committed it or a caller read it; not yet confirmed current. */
  private early(ctx: EngineContext, runId: string, group: Request[]): LoadedRun | null {
    return ctx.store.recent(runId) ?? group.find((r) => r.preloaded)?.preloaded ?? null;
  }

  private async commitGroup(ctx: EngineContext, runId: string, group: Request[]): Promise<void> {
    const early = this.early(ctx, runId, group);
    let basis: { run: LoadedRun; fresh: boolean } | null = early ? { run: early, fresh: false } : null;
    let pending = group;
    for (let i = 0; pending.length > 0; i++) {
      if (i >= MAX_TRIES) throw new Error(`run ${runId}: gave up after ${MAX_TRIES} conflicting commits`);
      const prev = basis?.run ?? (await ctx.store.load(runId));
      const fresh = basis?.fresh ?? true;
      basis = null;
      if (!prev) {
        for (const r of pending) r.resolve('missing');
        return;
      }
      const now = ctx.now();
      let doc = prev.doc;
      const slices: Transition[] = [];
      const changed: Request[] = [];
      for (const r of pending) {
        let t: Transition | null;
        try {
          t = r.fn(doc, now);
        } catch (e: unknown) {
          r.reject(e);
          continue;
        }
        if (t) {
          slices.push(t);
          changed.push(r);
          doc = t.doc;
        } else if (fresh) r.resolve('unchanged');
        // else: "nothing to do" seen on an unconfirmed copy; decided after this commit (or a read).
      }
      pending = pending.filter((r) => !r.settled);
      if (slices.length === 0) continue; // a fresh read next
      // Finished jobs the group drops are removed, and the stages it queues recorded, in the commit.
      const { finished, fields, envelopes } = commitExtras(ctx, prev.doc, doc);
      const res = await ctx.store.commitSlices(prev, slices, finished, fields);
      if (res.ok) {
        const next = { doc, rev: res.rev };
        const transition = { doc, events: slices.flatMap((s) => s.events) };
        applyEffects(ctx, { prev, next, transition, removed: res.removed, envelopes }).then(
          () => changed.forEach((r) => r.resolve('committed')),
          (e: unknown) => changed.forEach((r) => r.reject(e)),
        );
        // The commit proves `next` was current after every waiting fact was asked: it decides them.
        const done = new Set(changed);
        pending = pending.filter((r) => !done.has(r));
        basis = { run: next, fresh: true };
        continue;
      }
      if (res.reason === 'missing') {
        for (const r of pending) r.resolve('missing');
        return;
      }
      if (res.reason === 'slot-busy') throw new Error(`run ${runId}: a transition took a concurrency slot outside grantSlot (slots.ts)`);
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 * (i + 1))));
    }
  }
}
