import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { reapAbandonedWorkspaces, withWorkspace, Workspace } from '../src/workspace.js';

const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'baton-ws-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const log = { debug: () => undefined, info: () => undefined, warn: () => undefined };
// The child runs the built module (`pnpm test` builds first): same code, no TypeScript loader needed.
const workspaceUrl = new URL('../dist/workspace.js', import.meta.url).href;

describe('workspaces', () => {
  it('are removed after the stage, and kept (and never reaped) when a failed stage asks for it', async () => {
    const root = scratch();
    let seen = '';
    await withWorkspace(root, 'ok', { keepOnFailure: true, log }, async (ws) => {
      seen = ws.dir;
      expect(readdirSync(root)).toContain(`${ws.dir.split('/').pop()}.owner`);
    });
    expect(existsSync(seen)).toBe(false);
    expect(readdirSync(root)).toEqual([]);

    await expect(withWorkspace(root, 'bad', { keepOnFailure: true, log }, async (ws) => {
      seen = ws.dir;
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(await reapAbandonedWorkspaces(root, log)).toBe(0);
    expect(existsSync(seen)).toBe(true);
  });

  it('left behind by an agent killed with -9 are removed by the next stage on the host', async () => {
    const root = scratch();
    // A real process creates a workspace, reports it, and is killed mid-stage.
    const child = spawn(process.execPath, ['--input-type=module', '-e', `
      const { Workspace } = await import(${JSON.stringify(workspaceUrl)});
      const ws = await Workspace.create(${JSON.stringify(root)}, 'run_1-build-a1');
      console.log(ws.dir);
      setInterval(() => {}, 1000);
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    const abandoned = chunk.toString().trim();
    expect(existsSync(abandoned)).toBe(true);

    // While its owner lives, nobody touches it.
    const mine = await Workspace.create(root, 'run_2-build-a1', log);
    expect(existsSync(abandoned)).toBe(true);

    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(await reapAbandonedWorkspaces(root, log)).toBe(1);
    expect(existsSync(abandoned)).toBe(false);
    expect(existsSync(mine.dir)).toBe(true); // ours is alive
    await mine.dispose();
    expect(readdirSync(root)).toEqual([]);
  });
});
