import { resolveRefs, type JsonValue } from '@baton/contracts';
import { describe, expect, it } from 'vitest';
import { resolvedInputBytes } from '../src/admission/input-size.js';
import { findSecretUses, resolveInputRefs } from '../src/admission/secret-uses.js';

const exact = (template: JsonValue, input: JsonValue, outputs: Record<string, JsonValue> = {}) => Buffer.byteLength(JSON.stringify(resolveRefs(template, { input, outputs }).value));

describe('resolved input size', () => {
  it('equals the size of the resolved JSON', () => {
    const input = { a: 'x'.repeat(100), n: { deep: [1, 2, 'é'] } };
    const outputs = { s: { out: { k: true } } };
    for (const t of [
      { x: { $from: 'input.a' }, y: [{ $from: 'input.n' }, { $from: 'input.missing' }, 3], z: { $from: 'input.missing2' } },
      { d: { $from: 'input.nothing', default: { big: 'yes' } }, o: { $from: 'stages.s.output.out' } },
      [{ $from: 'input' }, 'plain', null, { nested: { $from: 'input.n.deep' } }],
      'just a string',
    ] as JsonValue[]) expect(resolvedInputBytes(t, { input, outputs }), JSON.stringify(t)).toBe(exact(t, input, outputs));
  });

  it('measures 20,000 references to a large value without building them', () => {
    const big = 'b'.repeat(1024 * 1024);
    const template = { many: Array.from({ length: 20_000 }, () => ({ $from: 'input.big' })) };
    expect(resolvedInputBytes(template, { input: { big }, outputs: {} })).toBeGreaterThan(20_000 * 1024 * 1024);
  });

  it('counts unknown stage outputs as nothing (a lower bound at submit)', () => {
    expect(resolvedInputBytes({ a: { $from: 'stages.x.output' } }, { input: {}, outputs: {} })).toBe(2);
  });
});

describe('secret uses in a request', () => {
  it('finds credentialRef with its URL, secretEnv with its app, and bare secret names', () => {
    const stage = resolveInputRefs(
      { repository: { $from: 'input.repo' }, credentialRef: 'BATON_SECRET_GIT', later: { url: { $from: 'stages.a.output.url' }, credentialRef: 'BATON_SECRET_GIT' }, app: 'pay', secretEnv: { DB: 'BATON_SECRET_DB' }, note: ['BATON_SECRET_X'] },
      { repo: 'https://h.example/r.git' },
    );
    expect(findSecretUses(stage)).toEqual(
      expect.arrayContaining([
        { secret: 'BATON_SECRET_GIT', use: { kind: 'git', url: 'https://h.example/r.git' }, at: ['credentialRef'] },
        { secret: 'BATON_SECRET_GIT', use: { kind: 'git', url: null }, at: ['later', 'credentialRef'] },
        { secret: 'BATON_SECRET_DB', use: { kind: 'env', app: 'pay' }, at: ['secretEnv', 'DB'] },
        { secret: 'BATON_SECRET_X', use: { kind: 'git', url: null }, at: ['note', 0] },
      ]),
    );
    expect(findSecretUses(stage)).toHaveLength(4);
  });
});
