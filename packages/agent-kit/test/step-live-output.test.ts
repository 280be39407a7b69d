import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runStep, silentLog, type StepContext } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('a step with a live output', () => {
  it("sends the command's output, secrets masked, to the stage's live log as it runs", async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'baton-step-live-'));
    dirs.push(cwd);
    const chunks: string[] = [];
    const ctx: StepContext = {
      cwd,
      env: { PATH: '/usr/bin:/bin' },
      signal: new AbortController().signal,
      artifacts: { save: () => Promise.resolve({ id: 'a' }) } as unknown as StepContext['artifacts'],
      log: silentLog,
      redact: ['hunter2-secret'],
      maxOutputBytes: 4096,
      sandbox: { kind: 'off' },
      output: { write: (t) => chunks.push(t) },
    };
    const r = await runStep(ctx, 'test', 'echo first; echo token=hunter2-secret; echo last', 10_000);
    expect(r.report.status).toBe('passed');
    const text = chunks.join('');
    expect(text.split('\n').filter(Boolean)).toEqual(['first', 'token=[redacted]', 'last']);
  });
});
