/**
 * Attack (issue 14, finding 6): the target branch holds `README.md -> <a file of the agent's user>`
 * (think ~/.bashrc). The scaffold template writes README.md; it must refuse instead of writing
 * through the link, and leave the victim file alone.
 */
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScaffoldOutput } from '@baton/contracts';
import { useTestStack } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { bareRepo, describeRun, git, scratch, stageOf, startSdlcAgents } from '../sdlc-support.js';

const stack = useTestStack();

const scaffoldStage = (input: Record<string, unknown>) => ({ definition: { stages: [{ name: 'scaffold', agent: 'scaffold', input }] } });

describe('attack: a symlinked file in the target branch', () => {
  it('the scaffold refuses to write through README.md -> ~/.bashrc; a branch without links still scaffolds', async () => {
    const h = await stack.harness();
    const root = scratch(stack, 'attack-symlink');
    await startSdlcAgents(stack, h, root, ['scaffold']);
    const victim = join(root, 'bashrc');
    writeFileSync(victim, 'export PS1=safe\n');

    const repo = bareRepo(root, 'trap');
    const work = mkdtempSync(join(root, 'work-'));
    git(work, 'init', '-q');
    git(work, 'checkout', '-q', '--orphan', 'main');
    symlinkSync(victim, join(work, 'README.md'));
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', 'a trap');
    git(work, 'push', '-q', repo.url, 'HEAD:refs/heads/main');

    const run = await h.waitRun((await h.submit(scaffoldStage({ name: 'trap', template: 'ts-http-service', repository: repo.url }))).id, undefined, 60_000);
    expect(readFileSync(victim, 'utf8')).toBe('export PS1=safe\n');
    expect(run.status, describeRun(run)).toBe('failed');
    expect(stageOf(run, 'scaffold').error).toMatchObject({ code: 'SYMLINK_IN_PATH', retryable: false, details: { path: 'README.md', link: 'README.md' } });
    expect(git(repo.dir, 'for-each-ref', '--format=%(refname)')).toBe('refs/heads/main');

    const clean = bareRepo(root, 'clean', { 'README.md': '# clean\n' });
    const ok = await h.waitRun((await h.submit(scaffoldStage({ name: 'clean', template: 'ts-http-service', repository: clean.url }))).id, undefined, 60_000);
    expect(ok.status, describeRun(ok)).toBe('succeeded');
    expect((stageOf(ok, 'scaffold').output as ScaffoldOutput).filesReplaced).toContain('README.md');
  }, 120_000);
});
