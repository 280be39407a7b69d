import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pagesOf, readSse, SseParser, type SseMessage } from '../src/index.js';

const all = (p: SseParser, chunks: string[]) => chunks.flatMap((c) => p.feed(c));

describe('the SSE parser', () => {
  const stream = 'retry: 2000\n\nid: 1-0\nevent: run.created\ndata: {"a":1}\n\n: keepalive\n\nid: 2-0\nevent: stage.queued\ndata: line one\ndata: line two\n\n';

  it('parses events, ids, types, multi-line data, comments and retry, whatever the chunk boundaries', () => {
    const whole = all(new SseParser(), [stream]);
    expect(whole).toEqual([
      { event: '', data: '', id: undefined, retry: 2000 },
      { event: 'run.created', data: '{"a":1}', id: '1-0' },
      { event: 'stage.queued', data: 'line one\nline two', id: '2-0' },
    ]);
    // One character at a time, and at every split point: the same events.
    expect(all(new SseParser(), [...stream])).toEqual(whole);
    for (let i = 1; i < stream.length; i++) expect(all(new SseParser(), [stream.slice(0, i), stream.slice(i)])).toEqual(whole);
  });

  it('takes CRLF and CR line ends (also a CRLF split across chunks), a BOM, and fields without a space or value', () => {
    expect(all(new SseParser(), ['\uFEFFid:7\r', '\nevent:x\rdata\r\n\r\n'])).toEqual([{ event: 'x', data: '', id: '7' }]);
  });

  it('keeps the last id for later events, ignores ids with NUL and unknown fields, and defaults the type to message', () => {
    const out = all(new SseParser('0-1'), ['data: a\n\n', 'id: 5-0\ndata: b\n\n', 'id: bad\0id\nfoo: bar\ndata: c\n\n']);
    expect(out.map((m: SseMessage) => [m.event, m.data, m.id])).toEqual([
      ['message', 'a', '0-1'],
      ['message', 'b', '5-0'],
      ['message', 'c', '5-0'],
    ]);
  });

  it('does not dispatch an event whose stream ended before its blank line', async () => {
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        // a multi-byte character split across chunks, then an unterminated event
        const bytes = enc.encode('data: é\n\ndata: cut');
        c.enqueue(bytes.slice(0, 7));
        c.enqueue(bytes.slice(7));
        c.close();
      },
    });
    const got: string[] = [];
    for await (const m of readSse(body)) got.push(m.data);
    expect(got).toEqual(['é']);
  });
});

describe('pages', () => {
  it('follows nextCursor until it is null, fetching each page only when the previous was consumed', async () => {
    const asked: (string | undefined)[] = [];
    const data: Record<string, { items: number[]; nextCursor: string | null }> = { first: { items: [1, 2], nextCursor: 'b' }, b: { items: [3], nextCursor: null } };
    const pages = pagesOf((cursor) => {
      asked.push(cursor);
      return Promise.resolve(data[cursor ?? 'first']!);
    });
    const first = await pages.next();
    expect(first.value?.items).toEqual([1, 2]);
    expect(asked).toEqual([undefined]);
    const rest: number[] = [];
    for await (const p of pages) rest.push(...p.items);
    expect(rest).toEqual([3]);
    expect(asked).toEqual([undefined, 'b']);
  });
});

describe('the package', () => {
  it('imports nothing at run time but its own modules (the dashboard loads it in the browser as is)', () => {
    const dist = fileURLToPath(new URL('../dist/', import.meta.url));
    const files = readdirSync(dist).filter((f) => f.endsWith('.js'));
    expect(files).toContain('index.js');
    for (const f of files) {
      const specifiers = [...readFileSync(join(dist, f), 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
      const dynamic = [...readFileSync(join(dist, f), 'utf8').matchAll(/\bimport\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
      expect([...specifiers, ...dynamic].filter((s) => !s.startsWith('./')), f).toEqual([]);
    }
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { dependencies?: object };
    expect(pkg.dependencies ?? {}).toEqual({});
  });
});
