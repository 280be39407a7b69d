import type { RunEvent, RunView, StageView } from '@baton/contracts';
import { describe, expect, it } from 'vitest';
import { layoutDag } from '../src/dag-layout.js';
import { buildTimeline, depths } from '../src/timeline-model.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function stage(name: string, dependsOn: string[], extra: Partial<StageView> = {}): StageView {
  return { name, agent: 'noop', dependsOn, status: 'succeeded', attempts: 1, maxAttempts: 3, agentId: 'a1', queuedAt: null, startedAt: null, finishedAt: null, durationMs: null, progress: null, output: null, error: null, ...extra };
}

function run(stages: StageView[], extra: Partial<RunView> = {}): RunView {
  return { id: 'run_01ARZ3NDEKTSV4RRFFQ69G5FAV', status: 'succeeded', pipeline: { name: 'p', version: 1 }, input: {}, labels: {}, createdAt: at(0), startedAt: at(0), finishedAt: at(10), updatedAt: at(10), error: null, createdBy: null, stages, ...extra };
}

type WithoutRun<T> = T extends unknown ? Omit<T, 'runId'> : never;
const ev = (e: WithoutRun<RunEvent>) => ({ runId: 'r', ...e }) as RunEvent;

describe('timeline model', () => {
  it("draws a fan-out stage's items from the item events (the last attempt of each)", () => {
    const r = run([stage('build', [], { startedAt: at(1), finishedAt: at(6) })]);
    const events = [
      ev({ type: 'stage.item.started', stage: 'build', at: at(1), item: 0, agentId: 'a1', attempt: 1 }),
      ev({ type: 'stage.item.started', stage: 'build', at: at(1), item: 1, agentId: 'a1', attempt: 1 }),
      ev({ type: 'stage.item.succeeded', stage: 'build', at: at(2), item: 1, durationMs: 1000 }),
      ev({ type: 'stage.item.retrying', stage: 'build', at: at(3), item: 0, attempt: 1, error: 'x' }),
      ev({ type: 'stage.item.started', stage: 'build', at: at(4), item: 0, agentId: 'a2', attempt: 2 }),
      ev({ type: 'stage.item.failed', stage: 'build', at: at(5), item: 0, error: { code: 'BAD', message: 'bad', retryable: false } }),
      ev({ type: 'stage.item.succeeded', stage: 'build', at: at(6), item: 2, durationMs: 500 }),
    ];
    const lane = buildTimeline(r, events, T0 + 20_000).lanes[0]!;
    expect(lane.items).toEqual([
      { item: 1, start: T0 + 1000, end: T0 + 2000, outcome: 'succeeded' },
      { item: 0, start: T0 + 4000, end: T0 + 5000, outcome: 'failed' },
      { item: 2, start: T0 + 5500, end: T0 + 6000, outcome: 'succeeded' },
    ]);
  });

  it('levels a diamond: parallel branches share a level', () => {
    const d = depths([stage('a', []), stage('b', ['a']), stage('c', ['a']), stage('d', ['b', 'c']), stage('e', ['a', 'd'])]);
    expect(Object.fromEntries(d)).toEqual({ a: 0, b: 1, c: 1, d: 2, e: 3 });
  });

  it('draws one bar per attempt from the events, with the retried one marked', () => {
    const r = run([stage('build', [], { attempts: 2, startedAt: at(1), finishedAt: at(6), queuedAt: at(0.5) })]);
    const events = [
      ev({ type: 'stage.queued', stage: 'build', at: at(0.5), agent: 'noop', dispatch: 1 }),
      ev({ type: 'stage.started', stage: 'build', at: at(1), agentId: 'a1', attempt: 1 }),
      ev({ type: 'stage.retrying', stage: 'build', at: at(3), attempt: 1, error: 'boom' }),
      ev({ type: 'stage.started', stage: 'build', at: at(4), agentId: 'a2', attempt: 2 }),
      ev({ type: 'stage.succeeded', stage: 'build', at: at(6), output: null, durationMs: 2000 }),
    ];
    const tl = buildTimeline(r, events, T0 + 20_000);
    const lane = tl.lanes[0]!;
    expect(lane.queued).toEqual([T0 + 500]);
    expect(lane.attempts).toEqual([
      { attempt: 1, start: T0 + 1000, end: T0 + 3000, outcome: 'retrying', agentId: 'a1', error: 'boom' },
      { attempt: 2, start: T0 + 4000, end: T0 + 6000, outcome: 'succeeded', agentId: 'a2', error: null },
    ]);
    expect(tl.t1).toBe(T0 + 10_000); // the run's end, not "now"
  });

  it('falls back to the stage view when the capped event stream lost the attempts, and grows running bars to now', () => {
    const r = run(
      [stage('old', [], { startedAt: at(1), finishedAt: at(2) }), stage('live', ['old'], { status: 'running', startedAt: at(3) })],
      { status: 'running', finishedAt: null },
    );
    const tl = buildTimeline(r, [], T0 + 30_000);
    expect(tl.lanes.map((l) => [l.stage.name, l.attempts.map((a) => [a.outcome, a.end])])).toEqual([
      ['old', [['succeeded', T0 + 2000]]],
      ['live', [['running', null]]],
    ]);
    expect(tl.t1).toBe(T0 + 30_000);
  });
});

describe('DAG layout', () => {
  it('puts each dependency level in its own column and never overlaps two nodes', () => {
    const stages = [stage('plan', []), stage('build', ['plan']), stage('lint', ['plan']), stage('docs', ['plan']), stage('package', ['build', 'lint'])];
    const { nodes, width, height } = layoutDag(stages);
    const x = (n: string) => nodes.get(n)!.x;
    expect(x('plan')).toBeLessThan(x('build'));
    expect(new Set([x('build'), x('lint'), x('docs')]).size).toBe(1);
    expect(x('package')).toBeGreaterThan(x('lint'));
    const boxes = [...nodes.values()].map((n) => `${n.x},${n.y}`);
    expect(new Set(boxes).size).toBe(stages.length);
    for (const n of nodes.values()) {
      expect(n.x + 150).toBeLessThanOrEqual(width);
      expect(n.y + 44).toBeLessThanOrEqual(height);
    }
  });
});
