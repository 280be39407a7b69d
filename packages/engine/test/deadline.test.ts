import { describe, expect, it } from 'vitest';
import { expireDeadline, pause, retry } from '../src/reducer.js';
import { finish, newRun, statuses } from './helpers.js';

const TWO = { stages: [{ name: 'a', agent: 'noop' }, { name: 'b', agent: 'noop', dependsOn: ['a'] }, { name: 'gate', approval: {} }] };

describe('run deadlines (control/deadline.ts)', () => {
  it('are fixed at creation from the request, else the pipeline', () => {
    expect(newRun(TWO, {}, { deadlineMs: 5000 }).deadlineAt).toBe(6000);
    expect(newRun({ ...TWO, deadlineMs: 9000 }).deadlineAt).toBe(10_000);
    expect(newRun({ ...TWO, deadlineMs: 9000 }, {}, { deadlineMs: 2000 }).deadlineAt).toBe(3000);
    expect(newRun(TWO).deadlineAt).toBeNull();
  });

  it('fail the run with RUN_DEADLINE_EXCEEDED once passed, cancelling live stages', () => {
    const d = finish(newRun(TWO, {}, { deadlineMs: 5000 }), 'a', {}, 2000);
    expect(statuses(d)).toEqual({ a: 'succeeded', b: 'queued', gate: 'waiting' });
    expect(expireDeadline(d, 5999)).toBeNull();
    const t = expireDeadline(d, 6000)!;
    expect(t.doc.status).toBe('failed');
    expect(t.doc.error).toMatchObject({ code: 'RUN_DEADLINE_EXCEEDED', details: { abortedStages: ['b', 'gate'] } });
    expect(statuses(t.doc)).toEqual({ a: 'succeeded', b: 'cancelled', gate: 'cancelled' });
    expect(t.events.map((e) => e.type)).toEqual(['stage.cancelled', 'stage.cancelled', 'run.failed']);
    expect(expireDeadline(t.doc, 7000)).toBeNull(); // finished runs are left alone
  });

  it('apply to paused runs, and are lifted by a retry', () => {
    const paused = pause(newRun(TWO, {}, { deadlineMs: 5000 }), 1500).doc;
    const failed = expireDeadline(paused, 6000)!.doc;
    expect(failed.status).toBe('failed');
    const again = retry(failed, undefined, 7000).doc;
    expect(again.deadlineAt).toBeNull();
    expect(expireDeadline(again, 8000)).toBeNull();
  });
});
