import assert from 'node:assert/strict';
import { test } from 'node:test';
import { greet, MAX_NAME_LENGTH } from './greeting.js';

test('greets by name', () => {
  assert.deepEqual(greet('Ada'), { ok: true, text: '{{greeting}}, Ada!' });
});

test('trims the name', () => {
  assert.deepEqual(greet('  Grace '), { ok: true, text: '{{greeting}}, Grace!' });
});

test('refuses an empty name', () => {
  assert.deepEqual(greet('   '), { ok: false, error: 'name is empty' });
});

test('refuses an overlong name', () => {
  const result = greet('x'.repeat(MAX_NAME_LENGTH + 1));
  assert.equal(result.ok, false);
});
