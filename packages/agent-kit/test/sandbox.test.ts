import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveSandbox, runStep, silentLog, type StepContext } from '../src/index.js';

const ctx = (sandbox: StepContext['sandbox']): StepContext => ({
  cwd: mkdtempSync(join(tmpdir(), 'baton-sandbox-test-')),
  env: { PATH: '/usr/bin:/bin' },
  signal: new AbortController().signal,
  artifacts: { save: () => Promise.resolve({ id: 'a' }) } as unknown as StepContext['artifacts'],
  log: silentLog,
  redact: [],
  maxOutputBytes: 4096,
  sandbox,
});

describe('sandbox choice', () => {
  it('refuses project commands when no sandbox works and BATON_SANDBOX=off was not given', async () => {
    const none = resolveSandbox('setpriv', 'no-such-user-baton');
    expect(none.unavailable).toContain('BATON_SANDBOX=off');
    await expect(runStep(ctx(none), 'test', 'echo hi', 5000)).rejects.toMatchObject({ code: 'SANDBOX_UNAVAILABLE' });
  });

  it('runs in bubblewrap by default here: its own PID namespace, no network', async () => {
    const sb = resolveSandbox('auto', 'nobody');
    expect(sb.kind).toBe('bwrap');
    const r = await runStep(ctx(sb), 'test', "echo pid=$$; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '", 10_000);
    expect(r.result?.output).toMatch(/pid=\d/);
    expect(r.result?.output.trim().split('\n').slice(1)).toEqual(['lo']);
  });
});
