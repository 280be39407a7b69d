import { describe, expect, it } from 'vitest';
import { CappedOutput } from '../src/capped-output.js';
import { redact } from '../src/redact.js';
import { redactingArtifacts } from '../src/redacting-artifacts.js';

const SECRET = 'ghp_0123456789abcdefABCDEF0123456789wxyz';

/** Every 6-character piece of the secret: none may survive redaction. */
const pieces = (s: string) => Array.from({ length: s.length - 5 }, (_, i) => s.slice(i, i + 6));

describe('redact', () => {
  it('masks a secret and its base64 forms at every alignment', () => {
    for (const prefix of ['', 'a', 'ab', 'abc']) {
      const b64 = Buffer.from(`${prefix}${SECRET}!`).toString('base64');
      const out = redact(`token=${SECRET} b64=${b64} url=${b64.replace(/\+/g, '-').replace(/\//g, '_')}`, [SECRET]);
      expect(out).not.toContain(SECRET);
      const inner = Buffer.from(SECRET.slice(3, 30)).toString('base64');
      expect(out).not.toContain(inner.slice(4, 20));
      expect(out).toContain('[redacted]');
    }
  });

  it('masks both halves of a secret that the output cap cut in two', () => {
    for (const at of [3, 10, 20, 37]) {
      const capped = new CappedOutput(1024);
      capped.push(Buffer.from(`${'.'.repeat(512 - at)}${SECRET}${'-'.repeat(4000)}`));
      const text = capped.toString();
      expect(text).toContain('bytes omitted');
      const out = redact(text, [SECRET]);
      for (const p of pieces(SECRET)) expect(out, `piece ${p} at cut ${at}`).not.toContain(p);
    }
    for (const at of [5, 20, 35]) {
      // The kept end starts `at` characters into the secret.
      const tailCut = new CappedOutput(1024);
      tailCut.push(Buffer.from(`${'.'.repeat(2000)}${SECRET}${'-'.repeat(512 - (SECRET.length - at))}`));
      const out = redact(tailCut.toString(), [SECRET]);
      for (const p of pieces(SECRET)) expect(out, `piece ${p} at tail cut ${at}`).not.toContain(p);
    }
  });

  it('leaves text without secrets alone, cut or not', () => {
    const capped = new CappedOutput(1024);
    capped.push(Buffer.from('a'.repeat(3000)));
    expect(redact(capped.toString(), [SECRET])).toBe(capped.toString());
    expect(redact('plain', [])).toBe('plain');
  });

  it('redactingArtifacts masks text artifacts and keeps binary ones', async () => {
    const saved: { name: string; data: string | Buffer }[] = [];
    const w = redactingArtifacts({ save: async (name, data) => (saved.push({ name, data }), { id: name }) as never }, [SECRET]);
    await w.save('service.log', `boot with ${SECRET}\n`);
    await w.save('report.json', Buffer.from(JSON.stringify({ t: SECRET })), 'application/json');
    await w.save('shot.png', Buffer.from(SECRET), 'image/png');
    expect(saved.map((s) => s.data.toString())).toEqual(['boot with [redacted]\n', '{"t":"[redacted]"}', SECRET]);
  });
});
