import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createApp } from './app.js';

const server = createApp({ service: '{{name}}', release: 'test' });
let base = '';

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('GET /health answers ok', async () => {
  const res = await fetch(`${base}/health`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok', service: '{{name}}', release: 'test' });
});

test('GET /api/greeting greets', async () => {
  const res = await fetch(`${base}/api/greeting?name=Ada`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { greeting: '{{greeting}}, Ada!' });
});

test('GET /api/greeting refuses an empty name', async () => {
  const res = await fetch(`${base}/api/greeting?name=`);
  assert.equal(res.status, 400);
});

test('GET / serves a page', async () => {
  const res = await fetch(`${base}/`);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /<h1>{{name}}<\/h1>/);
});

test('unknown routes are 404', async () => {
  const res = await fetch(`${base}/nope`);
  assert.equal(res.status, 404);
});
