import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CappedOutput, isAlive, killProcessTree, ManagedProcess, pickEnv, redact, runShell } from '../src/index.js';

const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'baton-kit-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

/** Waits until `file` lists `n` pids. */
async function pidsIn(file: string, n: number): Promise<number[]> {
  for (let i = 0; i < 200; i++) {
    try {
      const pids = readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map(Number);
      if (pids.length >= n) return pids;
    } catch {
      // not yet written
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${file} never listed ${n} pids`);
}

// A shell that starts a background sleeper in its group and one in a new session, records their pids, and waits.
const TREE = (file: string) => `sleep 60 & echo $! >> ${file}; setsid sleep 60 & echo $! >> ${file}; echo $$ >> ${file}; wait`;

describe('runCommand', () => {
  it('captures output and the exit code, with only the environment it is given', async () => {
    const r = await runShell('echo out; echo err >&2; echo "secret=$BATON_SECRET_X home=${HOME:-none}"; exit 3', { cwd: scratch(), env, timeoutMs: 5000 });
    expect(r).toMatchObject({ exitCode: 3, ok: false, timedOut: false, aborted: false });
    expect(r.output).toContain('out\n');
    expect(r.output).toContain('err\n');
    expect(r.output).toContain('secret= home=none');
    expect(r.stdout).not.toContain('err');
  });

  it('kills the whole process tree on timeout, including a process that left the group', async () => {
    const dir = scratch();
    const file = join(dir, 'pids');
    const done = runShell(TREE(file), { cwd: dir, env, timeoutMs: 1500, killGraceMs: 500 });
    const pids = await pidsIn(file, 3);
    expect(pids.every(isAlive)).toBe(true);
    const r = await done;
    expect(r).toMatchObject({ timedOut: true, ok: false, exitCode: null });
    expect(pids.filter(isAlive)).toEqual([]);
  });

  it('kills the tree when the signal aborts, and what a finished command left behind', async () => {
    const dir = scratch();
    const file = join(dir, 'pids');
    const ac = new AbortController();
    const done = runShell(TREE(file), { cwd: dir, env, timeoutMs: 30_000, signal: ac.signal, killGraceMs: 500 });
    const pids = await pidsIn(file, 3);
    ac.abort();
    expect(await done).toMatchObject({ aborted: true, ok: false });
    expect(pids.filter(isAlive)).toEqual([]);

    const leftover = join(dir, 'leftover');
    const quick = await runShell(`sleep 60 & echo $! > ${leftover}; exit 0`, { cwd: dir, env, timeoutMs: 5000, killGraceMs: 500 });
    expect(quick.ok).toBe(true);
    expect(isAlive(Number(readFileSync(leftover, 'utf8')))).toBe(false);
  });

  it('caps output, keeping its beginning and its end, and masks secrets', async () => {
    const r = await runShell('for i in $(seq 1 20000); do echo "line $i token-abcdef"; done', { cwd: scratch(), env, timeoutMs: 10_000, maxOutputBytes: 4096, redact: ['token-abcdef'] });
    expect(r.truncated).toBe(true);
    expect(r.output.length).toBeLessThan(4200);
    expect(r.output).toMatch(/^line 1 \[redacted\]\n/);
    expect(r.output).toContain('line 20000 [redacted]\n');
    expect(r.output).toMatch(/bytes omitted/);
    expect(r.output).not.toContain('token-abcdef');
  });

  it('reports a command that cannot start', async () => {
    const r = await runShell('true', { cwd: join(scratch(), 'missing'), env, timeoutMs: 1000 });
    expect(r.ok).toBe(false);
    expect(r.spawnError).toContain('does not exist');
  });
});

describe('ManagedProcess', () => {
  it('stops a long-running command and everything it started', async () => {
    const dir = scratch();
    const file = join(dir, 'pids');
    const p = ManagedProcess.start(TREE(file), { cwd: dir, env, killGraceMs: 500 });
    const pids = await pidsIn(file, 3);
    expect(p.exit).toBeNull();
    expect(await p.stop()).toBe(true);
    expect(pids.filter(isAlive)).toEqual([]);
    expect((await p.exited).signal).toBe('SIGTERM');
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const dir = scratch();
    const file = join(dir, 'pids');
    const p = ManagedProcess.start(`trap '' TERM; echo $$ > ${file}; while :; do sleep 0.1; done`, { cwd: dir, env, killGraceMs: 300 });
    const [pid] = await pidsIn(file, 1);
    expect(await killProcessTree(p.pid, 300)).toBe(true);
    expect(isAlive(pid!)).toBe(false);
  });
});

describe('environment and output helpers', () => {
  it('passes on only allowlisted variables', () => {
    const picked = pickEnv({ PATH: '/bin', HOME: '/h', REDIS_PASSWORD: 'x', BATON_SECRET_T: 'y', NODE_OPTIONS: '--inspect' }, ['PATH', 'HOME']);
    expect(picked).toEqual({ PATH: '/bin', HOME: '/h' });
  });

  it('redacts every occurrence of each secret', () => {
    expect(redact('a s3cret b s3cret', ['s3cret', 'no'])).toBe('a [redacted] b [redacted]');
  });

  it('CappedOutput keeps everything under the cap', () => {
    const c = new CappedOutput(100);
    c.push(Buffer.from('hello '));
    c.push(Buffer.from('world'));
    expect(c.toString()).toBe('hello world');
    expect(c.truncated).toBe(false);
  });
});
