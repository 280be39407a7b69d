/**
 * Issue 14, finding 10 (second half): many event streams on one run must not multiply the Redis
 * reads. Forty clients watch one run of a real orchestrator process; while the run goes from queued
 * to succeeded, Redis's own command statistics count the event reads: one shared poller reads each
 * new batch once for all forty, where a poller per stream would read it forty times.
 */
import { join } from 'node:path';
import type { RunView } from '@baton/contracts';
import { ENTRYPOINTS, infoField, REPO_ROOT, spawnAgent, spawnOrchestrator, startRedis, testNamespace, useTestStack, waitFor } from '@baton/testing';
import { describe, expect, it } from 'vitest';

const stack = useTestStack();
const STREAMS = 40;

/** Reads one SSE stream to its end, keeping the event ids and types. */
function watch(url: string) {
  const seen: { id: string; type: string }[] = [];
  const ctl = new AbortController();
  const done = (async () => {
    const res = await fetch(url, { signal: ctl.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) return;
      buf += decoder.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const id = /^id: (.+)$/m.exec(block)?.[1];
        const type = /^event: (.+)$/m.exec(block)?.[1];
        if (id && type) seen.push({ id, type });
      }
    }
  })();
  return { seen, done, abort: () => ctl.abort() };
}

describe('attack: many event streams on one run', () => {
  it('share one poller: Redis reads the run events about once per change, not once per stream', async () => {
    const redis = await startRedis();
    stack.defer(() => redis.stop());
    const ns = testNamespace();
    const orch = await spawnOrchestrator(redis.url, ns, { BATON_SSE_MAX_PER_ACTOR: String(STREAMS + 10) });
    stack.defer(() => orch.kill());
    const submitted = await fetch(`${orch.url}/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pipeline: 'demo' }) });
    expect(submitted.status).toBe(202);
    const run = (await submitted.json()) as RunView;

    const streams = Array.from({ length: STREAMS }, () => watch(`${orch.url}/v1/runs/${run.id}/events`));
    stack.defer(async () => {
      for (const s of streams) s.abort();
    });
    await waitFor(async () => streams.every((s) => s.seen.length > 0), { timeoutMs: 30_000, what: 'every stream to get the run.created event' });
    await redis.command('CONFIG', 'RESETSTAT');

    // Now the run moves: four stages, each queued, started and finished, then the run itself.
    const agent = await spawnAgent(join(REPO_ROOT, ENTRYPOINTS.noop), redis.url, ns);
    stack.defer(() => agent.kill('SIGTERM').then(() => undefined));
    await Promise.all(streams.map((s) => s.done));

    const all = streams.map((s) => s.seen.map((e) => e.id).join(','));
    expect(new Set(all).size, 'every stream saw the same events, once each, in order').toBe(1);
    const events = streams[0]!.seen;
    expect(events.at(-1)!.type).toBe('run.succeeded');
    expect(events.length).toBeGreaterThan(8);
    const calls = Number(/calls=(\d+)/.exec(infoField(await redis.command('INFO', 'commandstats'), 'cmdstat_xrange') ?? '')?.[1] ?? 0);
    // One poller per stream would read each change once per stream: at least STREAMS x changes.
    expect(calls, `${calls} XRANGE calls for ${STREAMS} streams and ${events.length} events`).toBeGreaterThan(0);
    expect(calls).toBeLessThan(STREAMS);
  }, 120_000);
});
