import type { RunView, StageLogEntry, StageLogPage } from '@baton/contracts';
import { noopAgent } from '@baton/agent-noop';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ENTRYPOINTS, REPO_ROOT, useTestStack, waitFor } from '@baton/testing';
import { describe, expect, it } from 'vitest';

const stack = useTestStack();
const SECRET = 'sekrit-0xC0FFEE';
const N = 50;
const expectedLines = Array.from({ length: N }, (_, i) => `line ${i + 1} of ${N} token=[redacted]`);

/** Reads server-sent events from a fetch body until `stop` says so or the stream ends. */
async function readEvents(res: Response, stop: (events: { id: string; event: string; data: StageLogEntry }[]) => boolean) {
  const out: { id: string; event: string; data: StageLogEntry }[] = [];
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const f: Record<string, string> = {};
      for (const line of block.split('\n')) {
        const c = line.indexOf(': ');
        if (c > 0) f[line.slice(0, c)] = line.slice(c + 2);
      }
      if (f.data && f.id) out.push({ id: f.id, event: f.event ?? '', data: JSON.parse(f.data) as StageLogEntry });
    }
    if (stop(out)) {
      await reader.cancel();
      break;
    }
  }
  return out;
}

const linesOf = (entries: StageLogEntry[]) => entries.flatMap((e) => (e.kind === 'lines' ? (e.lines ?? []) : []));

describe('live stage logs', () => {
  it('arrive while the stage runs, in order, redacted; an SSE reconnect with Last-Event-ID loses and repeats nothing; the CLI follows them', async () => {
    const h = await stack.harness();
    await h.agent(noopAgent);
    const run = await h.submit({ definition: { stages: [{ name: 'talk', agent: 'noop', input: { print: { lines: N, everyMs: 100, secret: SECRET } } }] } });
    const url = await h.app.listen({ host: '127.0.0.1', port: 0 });

    // The CLI follows from the start.
    const cli = spawn(process.execPath, [join(REPO_ROOT, ENTRYPOINTS.cli), '--url', url, 'runs', 'logs', run.id, '--stage', 'talk', '-f'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let cliOut = '';
    cli.stdout.on('data', (b: Buffer) => (cliOut += b.toString()));
    const cliExit = new Promise<number | null>((resolve) => cli.once('exit', resolve));

    // The paged form has lines while the stage is still running.
    await h.waitStage(run.id, 'talk', 'running');
    const early = await waitFor(async () => {
      const p = (await h.request<StageLogPage>('GET', `/v1/runs/${run.id}/stages/talk/logs/page`)).body;
      return linesOf(p.items).length > 0 ? p : undefined;
    }, { what: 'the first live lines', timeoutMs: 30_000 });
    expect((await h.run(run.id)).stages[0]!.status).toBe('running');
    expect(early.ended).toBe(false);
    expect(linesOf(early.items)).toEqual(expectedLines.slice(0, linesOf(early.items).length));

    // SSE: read a few lines, hang up, resume after the last id received.
    const first = await readEvents(await fetch(`${url}/v1/runs/${run.id}/stages/talk/logs`), (ev) => linesOf(ev.map((e) => e.data)).length >= 5);
    const lastId = first.at(-1)!.id;
    const rest = await readEvents(await fetch(`${url}/v1/runs/${run.id}/stages/talk/logs`, { headers: { 'last-event-id': lastId } }), () => false);
    const all = [...first, ...rest];
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    expect(linesOf(all.map((e) => e.data))).toEqual(expectedLines);
    expect(all.at(-1)!.data).toMatchObject({ kind: 'end', attempt: 1, detail: 'succeeded' });
    expect((await h.run(run.id)).status).toBe('succeeded');

    expect(await cliExit).toBe(0);
    expect(cliOut.trim().split('\n')).toEqual([...expectedLines, '[attempt 1 succeeded]']);

    // The secret never left the agent; the paged form reads the same entries to the end.
    const key = h.keys.stageLog(run.id, 'talk', 1);
    expect(JSON.stringify(await stack.redis.command('XRANGE', key, '-', '+'))).not.toContain(SECRET);
    const page = (await h.request<StageLogPage>('GET', `/v1/runs/${run.id}/stages/talk/logs/page?limit=1000`)).body;
    expect(page.items.map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect(page.ended).toBe(true);
    const more = (await h.request<StageLogPage>('GET', `/v1/runs/${run.id}/stages/talk/logs/page?after=${page.items[2]!.id}&limit=2`)).body;
    expect(more.items.map((e) => e.id)).toEqual(all.slice(3, 5).map((e) => e.id));
    expect((await h.request('GET', `/v1/runs/${run.id}/stages/nope/logs/page`)).status).toBe(404);

    // The log goes with the run.
    const loaded = await h.engine.ctx.store.load(run.id);
    expect(await h.engine.ctx.store.delete(loaded!)).toBe(true);
    expect(await stack.redis.command('EXISTS', key)).toBe(0);
  }, 120_000);

  it('caps an attempt with a truncated marker', async () => {
    const h = await stack.harness();
    await h.agent(noopAgent);
    // ~1.2 MB of output: past the 1 MiB cap.
    const run = await h.submit({ definition: { stages: [{ name: 'big', agent: 'noop', input: { print: { lines: 60_000 } } }] } });
    const done: RunView = await h.waitRun(run.id, undefined, 60_000);
    expect(done.status).toBe('succeeded');
    const items: StageLogEntry[] = [];
    let after = '';
    for (;;) {
      const p = (await h.request<StageLogPage>('GET', `/v1/runs/${run.id}/stages/big/logs/page?limit=1000${after ? `&after=${after}` : ''}`)).body;
      items.push(...p.items);
      if (p.ended) break;
      after = p.nextCursor!;
    }
    expect(items.map((e) => e.kind).slice(-2)).toEqual(['truncated', 'end']);
    const lines = linesOf(items);
    expect(lines.length).toBeGreaterThan(1000);
    expect(lines.length).toBeLessThan(60_000);
    expect(lines.slice(0, 2)).toEqual(['line 1 of 60000', 'line 2 of 60000']);
  }, 120_000);
});
