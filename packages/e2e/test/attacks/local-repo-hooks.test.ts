/**
 * Attack (issue 14, finding 9): a submitter names a repository on the agent's own disk, a `file:`
 * URL, whose hooks run a command when the agent pushes to it. Without BATON_ALLOW_LOCAL_REPOS the
 * agent refuses the URL; with it (dev stack, tests) the push works but the target's hooks never run.
 */
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTestStack } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { bareRepo, describeRun, headOf, scratch, stageOf, startSdlcAgents } from '../sdlc-support.js';

const stack = useTestStack();

const scaffoldStage = (input: Record<string, unknown>) => ({ definition: { stages: [{ name: 'scaffold', agent: 'scaffold', input }] } });

describe('attack: a local repository with a malicious hook', () => {
  it('is refused unless BATON_ALLOW_LOCAL_REPOS=true, and its hooks never run when allowed', async () => {
    const root = scratch(stack, 'attack-local');
    const repo = bareRepo(root, 'hooked', { 'README.md': '# hooked\n' });
    const marker = join(root, 'hook-ran');
    for (const hook of ['pre-receive', 'update', 'post-receive', 'post-update']) {
      const file = join(repo.dir, 'hooks', hook);
      writeFileSync(file, `#!/bin/sh\necho ${hook} >> '${marker}'\n`);
      chmodSync(file, 0o755);
    }

    const strict = await stack.harness();
    await startSdlcAgents(stack, strict, root, ['scaffold'], { BATON_ALLOW_LOCAL_REPOS: 'false' });
    const refused = await strict.waitRun((await strict.submit(scaffoldStage({ name: 'hooked', template: 'ts-library', repository: repo.url }))).id, undefined, 60_000);
    expect(refused.status, describeRun(refused)).toBe('failed');
    expect(stageOf(refused, 'scaffold').error).toMatchObject({ code: 'LOCAL_REPO_REFUSED', retryable: false, details: { url: repo.url } });
    const bare = await strict.waitRun((await strict.submit(scaffoldStage({ name: 'hooked', template: 'ts-library', repository: repo.dir }))).id, undefined, 60_000);
    expect(stageOf(bare, 'scaffold').error?.code, describeRun(bare)).toBe('LOCAL_REPO_REFUSED');
    expect(existsSync(marker)).toBe(false);

    const dev = await stack.harness();
    await startSdlcAgents(stack, dev, join(root, 'dev'), ['scaffold']);
    const pushed = await dev.waitRun((await dev.submit(scaffoldStage({ name: 'hooked', template: 'ts-library', repository: repo.url }))).id, undefined, 60_000);
    expect(pushed.status, describeRun(pushed)).toBe('succeeded');
    expect(headOf(repo, `baton/${pushed.id}`)).toMatch(/^[0-9a-f]{40}$/);
    expect(existsSync(marker), 'a hook of the target repository ran').toBe(false);
  }, 150_000);
});
