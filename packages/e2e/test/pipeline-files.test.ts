import { PipelineDefinition, type PipelineView } from '@baton/contracts';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ENTRYPOINTS, REPO_ROOT, useTestStack } from '@baton/testing';
import { afterEach, describe, expect, it } from 'vitest';

const stack = useTestStack();
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const V1 = {
  description: 'build and ship',
  stages: [
    { name: 'build', agent: 'noop', input: { ms: 10, echo: { $from: 'input.ref', default: 'main' } }, retry: { maxAttempts: 3 } },
    { name: 'gate', dependsOn: ['build'], approval: { approvers: { roles: ['operator'] }, message: 'ship it?' } },
    { name: 'ship', agent: 'noop', dependsOn: ['gate'], onFailure: 'continue' },
  ],
};
const V2 = {
  description: 'build and ship',
  stages: [
    { name: 'build', agent: 'noop', input: { ms: 20, echo: { $from: 'input.ref', default: 'main' } }, retry: { maxAttempts: 3 } },
    { name: 'gate', dependsOn: ['build'], approval: { approvers: { roles: ['operator'] }, message: 'ship it?' } },
    { name: 'notify', agent: 'noop', dependsOn: ['build'] },
  ],
};

describe('pipelines as files', () => {
  it('export writes what push accepts (the strict PUT schema), so export → push round-trips; diff names the changes', async () => {
    const h = await stack.harness();
    expect((await h.request('PUT', '/v1/pipelines/ship', V1)).status).toBe(201);
    expect((await h.request('PUT', '/v1/pipelines/ship', V2)).status).toBe(201);
    const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'baton-pipelines-'));
    dirs.push(dir);
    const cli = (...args: string[]) => promisify(execFile)(process.execPath, [join(REPO_ROOT, ENTRYPOINTS.cli), '--url', url, ...args]);

    // `show` prints the view (name, version, createdAt, definition): PUT refuses it.
    const shown = JSON.parse((await cli('--json', 'pipelines', 'show', 'ship', '--version', '1')).stdout) as PipelineView;
    expect((await h.request('PUT', '/v1/pipelines/shown', shown)).status).toBe(400);

    await cli('pipelines', 'export', 'ship', '--version', '1', '-o', join(dir, 'ship-v1.json'));
    const exported = JSON.parse(readFileSync(join(dir, 'ship-v1.json'), 'utf8')) as unknown;
    expect(PipelineDefinition.safeParse(exported).success).toBe(true);
    expect(exported).toEqual(shown.definition);
    const stdout = JSON.parse((await cli('pipelines', 'export', 'ship')).stdout) as unknown;
    expect(PipelineDefinition.parse(stdout).stages.map((s) => s.name)).toEqual(['build', 'gate', 'notify']);

    // Into another name: the same definition. Back into the same name over v1: a new version equal to v1.
    await cli('pipelines', 'push', join(dir, 'ship-v1.json'), '--name', 'copy');
    const copy = (await h.request<PipelineView>('GET', '/v1/pipelines/copy')).body;
    expect(copy.definition).toEqual(shown.definition);
    // Pushing the export of the latest version is "unchanged".
    await cli('pipelines', 'export', 'ship', '-o', join(dir, 'ship.json'));
    const same = await cli('pipelines', 'push', join(dir, 'ship.json'));
    expect(same.stdout).toContain('ship v2');
    expect(same.stdout).toContain('unchanged');

    const diff = await cli('--json', 'pipelines', 'diff', 'ship', '1', '2').then(
      () => null,
      (e: { code: number; stdout: string }) => e,
    );
    expect(diff?.code).toBe(1);
    const changes = (JSON.parse(diff!.stdout) as { changes: { kind: string; path: string; before?: unknown; after?: unknown }[] }).changes;
    expect(changes).toEqual([
      { kind: 'removed', path: 'stages.ship', before: shown.definition.stages[2] },
      { kind: 'changed', path: 'stages.build.input.ms', before: 10, after: 20 },
      { kind: 'added', path: 'stages.notify', after: expect.objectContaining({ name: 'notify', dependsOn: ['build'] }) },
    ]);
    const human = await cli('pipelines', 'diff', 'ship', '1', '2').catch((e: { stdout: string }) => e);
    expect(human.stdout).toContain('~ stages.build.input.ms: 10 → 20');
    expect((await cli('pipelines', 'diff', 'ship', '2', '2')).stdout.trim()).toBe('no differences');
  });
});
