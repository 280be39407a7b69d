import { PipelineDefinition, type JsonValue } from '@baton/contracts';
import { describe, expect, it } from 'vitest';
import { applyFacts } from '../src/job-facts.js';
import { addedJobs, droppedJobs, finishedJobIds, liveJobs } from '../src/jobs.js';
import { cancel, createRun, markFinished, pause, resume, retry, type Transition } from '../src/reducer.js';
import type { RunDoc } from '../src/run-doc.js';
import { supersededJobs } from '../src/superseded.js';
import { supersededMember } from '@baton/contracts';

/**
 * addedJobs/droppedJobs look only at the stages and items a transition changed (a fact about one
 * item of a wide fan-out must not cost a list of all its jobs). They must say exactly what comparing
 * the two documents' whole job lists says: checked here over long seeded sequences of transitions.
 */
const ID = 'run_01M7Y673N5R6MF5373N0YQW6N1';

const definition = PipelineDefinition.parse({
  stages: [
    { name: 'plan', agent: 'noop' },
    { name: 'build', agent: 'noop', dependsOn: ['plan'], forEach: { $from: 'stages.plan.output.items', maxParallel: 4, onItemFailure: 'continue' }, retry: { maxAttempts: 2 } },
    { name: 'lint', agent: 'lint', dependsOn: ['plan'] },
    { name: 'ship', agent: 'noop', dependsOn: ['build', 'lint'] },
  ],
});

// The definitions: every job of `prev` whose id `next` no longer lists, and the reverse for queued ones.
const naiveDropped = (prev: RunDoc, next: RunDoc) => {
  const after = new Set(liveJobs(next).map((j) => j.jobId));
  return liveJobs(prev).filter((j) => !after.has(j.jobId));
};
const naiveAdded = (prev: RunDoc, next: RunDoc) => {
  const before = new Set(liveJobs(prev).map((j) => j.jobId));
  return liveJobs(next).filter((j) => j.status === 'queued' && !before.has(j.jobId));
};
const naiveSuperseded = (prev: RunDoc, next: RunDoc) => {
  const finished = finishedJobIds(next);
  return naiveDropped(prev, next).filter((j) => !finished.has(j.jobId)).map((j) => supersededMember(j.agent, j.jobId));
};

/** Deterministic pseudo-random numbers (a seeded sequence, so a failure reproduces). */
function lcg(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

const ok = (output: JsonValue, attempt = 1) => ({ ok: true as const, output, agentId: 'ag', attempt, startedAt: 1500, finishedAt: 2000 });
const bad = (attempt = 1) => ({ ok: false as const, error: { code: 'BOOM', message: 'x', retryable: false }, agentId: 'ag', attempt, startedAt: 1500, finishedAt: 2000 });

/** One random step from `doc`, or null when the chosen one does not apply. */
function step(doc: RunDoc, rnd: (n: number) => number, now: number): Transition | null {
  const live = liveJobs(doc);
  const pick = live[rnd(Math.max(1, live.length))];
  const at = (j: NonNullable<typeof pick>) => [j.stage, j.dispatch] as const;
  switch (rnd(9)) {
    case 0:
    case 1:
    case 2: {
      if (!pick) return null;
      const [stage, dispatch] = at(pick);
      if (pick.item === null) {
        const output: JsonValue = stage === 'plan' ? { items: Array.from({ length: 1 + rnd(12) }, (_, i) => i) } : { done: true };
        return markFinished(doc, { stage, dispatch, outcome: rnd(5) === 0 ? bad() : ok(output) }, now);
      }
      return applyFacts(doc, stage, dispatch, [{ kind: 'finished', outcome: rnd(4) === 0 ? bad() : ok(pick.item) }], now, pick.item);
    }
    case 3:
      return pick ? applyFacts(doc, pick.stage, pick.dispatch, [{ kind: 'started', agentId: 'ag', attempt: 1 + rnd(2), startedAt: now }], now, pick.item) : null;
    case 4:
      return pick ? applyFacts(doc, pick.stage, pick.dispatch, [{ kind: 'retrying', attempt: 1, error: 'again' }], now, pick.item) : null;
    case 5:
      try {
        return doc.status === 'paused' ? resume(doc, now) : pause(doc, now);
      } catch {
        return null;
      }
    case 6:
      try {
        return rnd(3) === 0 ? cancel(doc, 'test', now) : null;
      } catch {
        return null;
      }
    default:
      try {
        return retry(doc, rnd(2) === 0 ? 'build' : undefined, now);
      } catch {
        return null;
      }
  }
}

describe('job diffs between run documents', () => {
  it('equal the comparison of whole job lists over seeded random transitions', () => {
    let checked = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const rnd = lcg(seed);
      let doc = createRun({ id: ID, pipeline: { name: 'p', version: 1 }, definition, input: {}, labels: {}, now: 1000 }).doc;
      for (let i = 0; i < 80; i++) {
        const t = step(doc, rnd, 2000 + i);
        if (!t) continue;
        const where = `seed ${seed} step ${i}`;
        expect(droppedJobs(doc, t.doc), where).toEqual(naiveDropped(doc, t.doc));
        expect(addedJobs(doc, t.doc), where).toEqual(naiveAdded(doc, t.doc));
        expect(supersededJobs(doc, t.doc), where).toEqual(naiveSuperseded(doc, t.doc));
        checked++;
        doc = t.doc;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
});
