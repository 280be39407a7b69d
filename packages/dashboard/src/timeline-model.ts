import type { RunEvent, RunView, StageView } from '@baton/contracts';

export type AttemptOutcome = 'running' | 'retrying' | 'succeeded' | 'failed' | 'cancelled';

export interface Attempt {
  attempt: number;
  start: number;
  end: number | null;
  outcome: AttemptOutcome;
  agentId: string | null;
  error: string | null;
}

export interface Lane {
  stage: StageView;
  /** Longest dependency chain above the stage: stages of one depth can run side by side. */
  depth: number;
  /** Each time the stage was put on its queue (first dispatch, API retries, resumes). */
  queued: number[];
  attempts: Attempt[];
  /** A fan-out stage's items: the span of each item's last attempt (from the item events). */
  items: ItemSpan[];
}

export interface ItemSpan {
  item: number;
  start: number;
  end: number | null;
  outcome: 'running' | 'succeeded' | 'failed';
}

export interface Timeline {
  t0: number;
  t1: number;
  lanes: Lane[];
}

const ms = (iso: string | null | undefined) => (iso ? Date.parse(iso) : null);

export function depths(stages: Pick<StageView, 'name' | 'dependsOn'>[]): Map<string, number> {
  const byName = new Map(stages.map((s) => [s.name, s]));
  const memo = new Map<string, number>();
  const depth = (name: string, seen: Set<string>): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const s = byName.get(name);
    if (!s || seen.has(name)) return 0;
    seen.add(name);
    const d = s.dependsOn.length === 0 ? 0 : 1 + Math.max(...s.dependsOn.map((p) => depth(p, seen)));
    memo.set(name, d);
    return d;
  };
  for (const s of stages) depth(s.name, new Set());
  return memo;
}

/**
 * Bars over time for every stage of a run: attempts come from the run's events (started, retrying,
 * finished), so retries are visible; the stage view fills in what a capped event stream lost.
 */
export function buildTimeline(run: RunView, events: RunEvent[], now: number): Timeline {
  const d = depths(run.stages);
  const lanes = new Map<string, Lane>(run.stages.map((s) => [s.name, { stage: s, depth: d.get(s.name) ?? 0, queued: [], attempts: [], items: [] }]));
  const close = (lane: Lane, at: number, outcome: AttemptOutcome, error: string | null = null) => {
    const open = lane.attempts.at(-1);
    if (open && open.end === null) Object.assign(open, { end: at, outcome, error });
  };
  for (const e of events) {
    if (!('stage' in e)) continue;
    const lane = lanes.get(e.stage);
    if (!lane) continue;
    const at = Date.parse(e.at);
    switch (e.type) {
      case 'stage.queued':
        lane.queued.push(at);
        break;
      case 'stage.started':
        close(lane, at, 'retrying');
        lane.attempts.push({ attempt: e.attempt, start: at, end: null, outcome: 'running', agentId: e.agentId, error: null });
        break;
      case 'stage.retrying':
        close(lane, at, 'retrying', e.error);
        break;
      case 'stage.succeeded':
        close(lane, at, 'succeeded');
        break;
      case 'stage.failed':
        close(lane, at, 'failed', `${e.error.code}: ${e.error.message}`);
        break;
      case 'stage.cancelled':
        close(lane, at, 'cancelled');
        break;
      case 'stage.item.started':
        lane.items = lane.items.filter((i) => i.item !== e.item);
        lane.items.push({ item: e.item, start: at, end: null, outcome: 'running' });
        break;
      case 'stage.item.succeeded':
      case 'stage.item.failed': {
        const outcome = e.type === 'stage.item.succeeded' ? 'succeeded' : 'failed';
        const span = lane.items.find((i) => i.item === e.item && i.end === null);
        // A short item's result is often applied before any "started" notice: draw it from its duration.
        if (span) Object.assign(span, { end: at, outcome });
        else lane.items.push({ item: e.item, start: at - (e.type === 'stage.item.succeeded' ? (e.durationMs ?? 0) : 0), end: at, outcome });
        break;
      }
      default:
        break;
    }
  }
  for (const lane of lanes.values()) {
    const s = lane.stage;
    const started = ms(s.startedAt);
    const finished = ms(s.finishedAt);
    const queuedAt = ms(s.queuedAt);
    if (lane.queued.length === 0 && queuedAt !== null) lane.queued.push(queuedAt);
    if (lane.attempts.length === 0 && started !== null) {
      const outcome: AttemptOutcome = s.status === 'succeeded' || s.status === 'failed' || s.status === 'cancelled' ? s.status : 'running';
      lane.attempts.push({ attempt: Math.max(1, s.attempts), start: started, end: finished, outcome, agentId: s.agentId, error: s.error ? `${s.error.code}: ${s.error.message}` : null });
    }
    // An attempt still open although the stage finished (its final event was capped away).
    const last = lane.attempts.at(-1);
    if (last && last.end === null && finished !== null && s.status !== 'running') {
      last.end = finished;
      last.outcome = s.status === 'succeeded' || s.status === 'failed' || s.status === 'cancelled' ? s.status : 'cancelled';
    }
  }
  const t0 = Date.parse(run.createdAt);
  const ends = [...lanes.values()].flatMap((l) => l.attempts.map((a) => a.end ?? now));
  const t1 = Math.max(t0 + 1000, ms(run.finishedAt) ?? now, ...ends);
  const ordered = [...lanes.values()].sort((a, b) => a.depth - b.depth);
  return { t0, t1, lanes: ordered };
}
