import type { ApiErrorBody, CreatedKey } from '@baton/contracts';
import { spawnOrchestrator, testNamespace, useTestStack } from '@baton/testing';
import { describe, expect, it } from 'vitest';

/** Issue 14, finding 10: a flood of server-sent event streams against a real orchestrator process. */
const stack = useTestStack();
const BOOTSTRAP = `boot-${'s'.repeat(40)}`;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('attack: an SSE flood (finding 10)', () => {
  it('caps streams per key with 429 and per process with 503, and frees a slot when a stream closes', async () => {
    const orch = await spawnOrchestrator(stack.redis.url, testNamespace(), { BATON_AUTH: 'required', BATON_BOOTSTRAP_ADMIN_KEY: BOOTSTRAP, BATON_SSE_MAX_PER_ACTOR: '3', BATON_SSE_MAX: '5' });
    stack.defer(() => orch.kill());
    const key = async (name: string) => {
      const res = await fetch(`${orch.url}/v1/keys`, { method: 'POST', headers: { ...bearer(BOOTSTRAP), 'content-type': 'application/json' }, body: JSON.stringify({ name, role: 'viewer' }) });
      return ((await res.json()) as CreatedKey).key;
    };
    const [a, b] = [await key('flooder'), await key('other')];
    const aborts: AbortController[] = [];
    const open = async (k: string) => {
      const ctl = new AbortController();
      const res = await fetch(`${orch.url}/v1/runs/changes`, { headers: bearer(k), signal: ctl.signal });
      if (res.status === 200) aborts.push(ctl);
      return res;
    };
    stack.defer(async () => aborts.forEach((c) => c.abort()));
    for (let i = 0; i < 3; i++) expect((await open(a)).status).toBe(200);
    const tooMany = await open(a);
    expect(tooMany.status).toBe(429);
    expect(((await tooMany.json()) as ApiErrorBody).error.code).toBe('TOO_MANY_STREAMS');
    // Another key still gets streams, up to the process's cap.
    for (let i = 0; i < 2; i++) expect((await open(b)).status).toBe(200);
    const exhausted = await open(b);
    expect(exhausted.status).toBe(503);
    expect(((await exhausted.json()) as ApiErrorBody).error.code).toBe('STREAMS_EXHAUSTED');
    // Closing a stream gives its slot back.
    aborts.shift()!.abort();
    let again = 0;
    for (let i = 0; i < 50 && again !== 200; i++) {
      await new Promise((r) => setTimeout(r, 200));
      again = (await open(b)).status;
    }
    expect(again).toBe(200);
  });
});
