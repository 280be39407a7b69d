import type { ArtifactList, RunList } from '@baton/contracts';
import { defineAgent } from '@baton/runtime';
import { artifactDirFor, useTestStack, waitFor } from '@baton/testing';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const stack = useTestStack();

const reporter = defineAgent({
  type: 'reporter',
  input: z.object({ text: z.string() }),
  output: z.object({ artifact: z.string() }),
  async handler({ input, artifacts }) {
    const meta = await artifacts.save('report.txt', input.text);
    await artifacts.save('data.json', JSON.stringify({ ok: true }), 'application/json');
    return { artifact: meta.id };
  },
});

describe('artifacts', () => {
  it('stores stage files content-addressed, lists and serves them, and deletes them with the run', async () => {
    // No GC grace: the file goes as soon as nothing references it (production keeps one touched within the last hour).
    const h = await stack.harness({ runRetentionCount: 1, artifactGcGraceMs: 0 });
    await h.agent(reporter);
    const run = await h.submit({ definition: { stages: [{ name: 'r', agent: 'reporter', input: { text: 'hello artifacts' } }] } });
    const done = await h.waitRun(run.id);
    expect(done.status).toBe('succeeded');

    const list = await h.request<ArtifactList>('GET', `/v1/runs/${run.id}/artifacts`);
    expect(list.body.items.map((a) => [a.name, a.stage, a.size, a.contentType])).toEqual([
      ['report.txt', 'r', 15, 'text/plain; charset=utf-8'],
      ['data.json', 'r', 11, 'application/json'],
    ]);
    const report = list.body.items[0]!;
    expect((done.stages[0]!.output as { artifact: string }).artifact).toBe(report.id);
    const content = await h.app.inject({ method: 'GET', url: `/v1/runs/${run.id}/artifacts/${report.id}` });
    expect(content.statusCode).toBe(200);
    expect(content.body).toBe('hello artifacts');
    expect(content.headers['content-type']).toContain('text/plain');
    expect((await h.request('GET', `/v1/runs/${run.id}/artifacts/art_000000000000000000000000`)).status).toBe(404);
    expect((await h.request('GET', `/v1/runs/${run.id}/artifacts/../../etc/passwd`)).status).toBeGreaterThanOrEqual(400);

    const file = join(artifactDirFor(h.ns), report.sha256.slice(0, 2), report.sha256);
    expect(existsSync(file)).toBe(true);
    // A newer run pushes this one out of retention (count 1): its artifacts and their files go too.
    const next = await h.submit({ definition: { stages: [{ name: 'r', agent: 'reporter', input: { text: 'newer' } }] } });
    await h.waitRun(next.id);
    await waitFor(async () => (await h.request<RunList>('GET', '/v1/runs')).body.items.length === 1, { what: 'retention' });
    await waitFor(() => !existsSync(file), { what: 'artifact file collected' });
    expect(await stack.redis.command('EXISTS', h.keys.runArtifacts(run.id))).toBe(0);
  });
});
