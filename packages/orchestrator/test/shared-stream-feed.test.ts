import { describe, expect, it } from 'vitest';
import type { RunNoticeHub } from '../src/run-notice-hub.js';
import { SharedStreamFeed, type FeedEvent } from '../src/routes/shared-stream-feed.js';

/** A stream in memory: ids `<n>-0`, and a counter of the reads the feed made. */
function fakeStream() {
  const entries: FeedEvent[] = [];
  const s = {
    entries,
    over: false,
    afters: [] as string[],
    add(n: number) {
      for (let i = 0; i < n; i++) entries.push({ id: `${entries.length + 1}-0`, json: String(entries.length + 1), event: 'lines' });
    },
    source: () => ({
      begin: async () => {
        const over = s.over;
        return {
          over,
          read: async (after: string, count: number) => {
            s.afters.push(after);
            const from = after === '0' ? 0 : Number(after.split('-')[0]);
            return entries.slice(from, from + count);
          },
        };
      },
    }),
  };
  return s;
}

const listeners = new Map<string, () => void>();
const notices = { on: (runId: string, fn: () => void) => (listeners.set(runId, fn), () => listeners.delete(runId)) } as unknown as RunNoticeHub;
const quiet = { warn: () => undefined };
const until = async (ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(ok()).toBe(true);
};

describe('shared stream feed', () => {
  it('serves every subscriber of a stream from one read per pass, each from its own position, each entry once, and ends them when it is over', async () => {
    const feed = new SharedStreamFeed(notices, quiet, { pollMs: 60_000, page: 3 });
    const s = fakeStream();
    s.add(7);
    const got: Record<string, string[]> = { a: [], b: [], c: [] };
    const ended: string[] = [];
    const sub = (name: string, last: string) =>
      feed.subscribe('run-1\nstage\n1', 'run-1', s.source, last, (e) => got[name]!.push(e.id), () => ended.push(name));
    sub('a', '0');
    sub('b', '0');
    sub('c', '4-0'); // resumes after entry 4 (Last-Event-ID)
    expect(feed.stats()).toEqual({ streams: 3, watched: 1 });
    await until(() => got.a!.length === 7 && got.b!.length === 7 && got.c!.length === 3);
    s.add(4);
    listeners.get('run-1')!(); // a notice wakes it early
    await until(() => got.a!.length === 11 && got.c!.length === 7);
    s.over = true;
    listeners.get('run-1')!();
    await until(() => ended.length === 3);
    const all = Array.from({ length: 11 }, (_, i) => `${i + 1}-0`);
    expect(got).toEqual({ a: all, b: all, c: all.slice(4) });
    // One watch for the three: the pass after the notice read the new entries once, in pages, for all of them.
    expect(s.afters.filter((a) => a === '7-0')).toHaveLength(1);
    expect(s.afters.filter((a) => a === '10-0')).toHaveLength(1);
    expect(feed.stats()).toEqual({ streams: 0, watched: 0 });
    feed.stop();
  });
});
