import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signTimestamped } from '../src/triggers/index.js';

/** The receiver code the README shows, extracted from README.md and run against Baton's signer. */
async function readmeVerifier(): Promise<(secret: string, raw: Buffer, header: string, tol?: number) => boolean> {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const after = readme.slice(readme.indexOf('a receiver verifies it like this'));
  const block = /```ts\n([\s\S]*?)```/.exec(after)?.[1];
  if (block === undefined) throw new Error('README: receiver code block not found');
  const file = join(mkdtempSync(join(tmpdir(), 'baton-readme-')), 'verify.ts');
  writeFileSync(file, `${block}\nexport { verifyBaton };\n`);
  const mod = (await import(file)) as { verifyBaton: (s: string, r: Buffer, h: string, t?: number) => boolean };
  return mod.verifyBaton;
}

describe("the README's notification receiver", () => {
  it('accepts what Baton signs and rejects a bad, foreign or stale signature', async () => {
    const verify = await readmeVerifier();
    const body = Buffer.from('{"event":"run.failed","runId":"r-1","stage":"build"}');
    const now = Date.now() / 1000;
    const header = signTimestamped('receiver-secret', body, now);
    expect(verify('receiver-secret', body, header)).toBe(true);
    expect(verify('receiver-secret', Buffer.from(`${body.toString()} `), header)).toBe(false);
    expect(verify('another-secret', body, header)).toBe(false);
    expect(verify('receiver-secret', body, header.replace(/v1=(.)/, (_m, c: string) => `v1=${c === '0' ? '1' : '0'}`))).toBe(false);
    expect(verify('receiver-secret', body, 'v1=00')).toBe(false);
    expect(verify('receiver-secret', body, signTimestamped('receiver-secret', body, now - 301))).toBe(false);
  });
});
