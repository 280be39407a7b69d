import { AGENT_RECORD_TTL_MS, type AgentHeartbeat } from '@baton/contracts';
import { describe, expect, it } from 'vitest';
import { isWedged, lastSeenOf, livenessOf, seenAtFromTtl } from '../src/registry.js';

const HOUR = 3_600_000;
const redisNow = Date.parse('2026-01-01T12:00:00Z');

function beat(agentClockOffsetMs: number, over: Partial<AgentHeartbeat> = {}): AgentHeartbeat {
  const agentNow = new Date(redisNow + agentClockOffsetMs).toISOString();
  return {
    protocol: 1, id: 'a-1', type: 'noop', host: 'h', pid: 1, version: '1', concurrency: 1, state: 'running', active: [],
    lastTaskAt: null, startedAt: agentNow, beatAt: agentNow, intervalMs: 1000, eventLoopBlockedMs: 0, wedgedAfterMs: 20_000,
    seenAt: redisNow, metricsPort: null, ...over,
  };
}
const backlog = { waiting: 0, oldestWaitingMs: 0, deafAfterMs: 30_000 };

describe('livenessOf (pure)', () => {
  it('measures heartbeat age in Redis time: an agent clock an hour off changes nothing', () => {
    for (const offset of [-HOUR, 0, HOUR]) {
      const hb = beat(offset);
      const seen = lastSeenOf(hb, undefined);
      expect(seen.lastSeenMs).toBe(redisNow);
      expect(seen.skewMs).toBe(offset);
      expect(livenessOf({ hb, ...seen, now: redisNow + 500, ...backlog })).toBe('alive');
      expect(livenessOf({ hb, ...seen, now: redisNow + 5000, ...backlog })).toBe('stale');
      expect(livenessOf({ hb, ...seen, now: redisNow + 20_000, ...backlog })).toBe('dead');
    }
  });

  it('is wedged from one lock duration of a blocked main loop, while the beats are on time', () => {
    const hb = beat(0, { eventLoopBlockedMs: 20_000 });
    expect(isWedged(hb)).toBe(true);
    expect(livenessOf({ hb, ...lastSeenOf(hb, undefined), now: redisNow + 500, ...backlog })).toBe('wedged');
    expect(isWedged(beat(0, { eventLoopBlockedMs: 19_999 }))).toBe(false);
    const { wedgedAfterMs: _, ...older } = beat(0, { eventLoopBlockedMs: 99_000 });
    expect(isWedged(older)).toBe(false); // agents that predate the field are never wedged
  });

  it('judges deafness on the agent\'s idle time corrected for its clock skew', () => {
    // Idle (by its own clock, an hour ahead) since 40 s ago; work waits 40 s: deaf, not "idle -1 h".
    const hb = beat(HOUR, { startedAt: new Date(redisNow + HOUR - 40_000).toISOString() });
    const seen = lastSeenOf(hb, undefined);
    expect(livenessOf({ hb, ...seen, now: redisNow + 500, waiting: 3, oldestWaitingMs: 40_000, deafAfterMs: 30_000 })).toBe('deaf');
  });
});

describe('seenAtFromTtl (pure)', () => {
  it('dates the last beat from the TTL Redis has left on the record, in Redis time', () => {
    expect(seenAtFromTtl(redisNow, AGENT_RECORD_TTL_MS)).toBe(redisNow);
    expect(seenAtFromTtl(redisNow, AGENT_RECORD_TTL_MS - 7000)).toBe(redisNow - 7000);
    expect(seenAtFromTtl(redisNow, -1)).toBeUndefined(); // no TTL: not a beat's write
    expect(seenAtFromTtl(redisNow, -2)).toBeUndefined(); // gone
  });
});
