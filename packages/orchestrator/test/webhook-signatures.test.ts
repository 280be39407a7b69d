import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deliveryIdentity,
  signTimestamped,
  verifyGithubSignature,
  verifyGitlabToken,
  verifyTimestamped,
  type SignatureCheck,
} from '../src/triggers/index.js';

const SECRET = "It's a Secret to Everybody";

describe('GitHub X-Hub-Signature-256', () => {
  it('matches the test values in GitHub\'s "Validating webhook deliveries" page', () => {
    const documented = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(verifyGithubSignature(SECRET, 'Hello, World!', documented)).toEqual({ ok: true });
  });

  it('refuses a missing, malformed, wrong-secret or tampered signature', () => {
    const good = `sha256=${createHmac('sha256', SECRET).update('Hello, World!').digest('hex')}`;
    expect(verifyGithubSignature(SECRET, 'Hello, World!', undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(verifyGithubSignature(SECRET, 'Hello, World!', '')).toEqual({ ok: false, reason: 'missing' });
    expect(verifyGithubSignature(SECRET, 'Hello, World!', good.replace('sha256=', 'sha1='))).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(verifyGithubSignature('another secret', 'Hello, World!', good)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyGithubSignature(SECRET, 'Hello, World?', good)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyGithubSignature(SECRET, 'Hello, World!', good.slice(0, -1))).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });
});

describe('GitLab X-Gitlab-Token', () => {
  it('accepts the configured token only', () => {
    expect(verifyGitlabToken('s3cret-token', 's3cret-token')).toEqual({ ok: true });
    expect(verifyGitlabToken('s3cret-token', 's3cret-tokeN')).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyGitlabToken('s3cret-token', 's3cret')).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyGitlabToken('s3cret-token', undefined)).toEqual({ ok: false, reason: 'missing' });
  });
});

describe('timestamped HMAC (generic hooks and outgoing notifications)', () => {
  const body = '{"event":"run.failed","runId":"r-1"}';
  const now = 1_800_000_000;

  it('round-trips, and refuses a stale, future, tampered or malformed signature', () => {
    const header = signTimestamped('k', body, now);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifyTimestamped('k', body, header, now + 299)).toEqual({ ok: true });
    expect(verifyTimestamped('k', body, header, now + 301)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyTimestamped('k', body, header, now - 301)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyTimestamped('k', body, header, now + 30, 10)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyTimestamped('k', `${body} `, header, now)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyTimestamped('other', body, header, now)).toEqual({ ok: false, reason: 'mismatch' });
    // Moving the timestamp forward to dodge the replay window breaks the HMAC.
    const replayed = header.replace('t=1800000000', `t=${now + 1000}`);
    expect(verifyTimestamped('k', body, replayed, now + 1000)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyTimestamped('k', body, undefined, now)).toEqual({ ok: false, reason: 'missing' });
    for (const bad of ['v1=abc', 't=abc,v1=abc', 't=1,t=2,v1=abc', 't=1800000000', 'garbage']) {
      expect(verifyTimestamped('k', body, bad, now)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('accepts any of several v1 signatures (a sender rotating its secret)', () => {
    const withOld = signTimestamped('old', body, now);
    const withNew = signTimestamped('new', body, now);
    const both = `${withOld},v1=${withNew.split('v1=')[1] ?? ''}`;
    expect(verifyTimestamped('new', body, both, now)).toEqual({ ok: true });
    expect(verifyTimestamped('old', body, both, now)).toEqual({ ok: true });
    expect(verifyTimestamped('third', body, both, now)).toEqual({ ok: false, reason: 'mismatch' });
  });
});

describe('delivery identity', () => {
  it('reads each provider\'s event type and redelivery-stable id, whatever the header case', () => {
    expect(deliveryIdentity('github', { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': 'g-1' })).toEqual({
      event: 'push',
      deliveryId: 'g-1',
    });
    expect(
      deliveryIdentity('gitlab', {
        'x-gitlab-event': 'Push Hook',
        'idempotency-key': 'gl-1',
        'x-gitlab-webhook-uuid': 'per-request',
      }),
    ).toEqual({ event: 'Push Hook', deliveryId: 'gl-1' });
    expect(deliveryIdentity('generic', { 'x-baton-event': 'build', 'x-baton-delivery': ['b-1', 'b-2'] })).toEqual({
      event: 'build',
      deliveryId: 'b-1',
    });
    expect(deliveryIdentity('gitlab', { 'x-gitlab-event': 'Push Hook' })).toEqual({
      event: 'Push Hook',
      deliveryId: undefined,
    });
  });
});

/** A real HTTP receiver that verifies over the raw bytes received, as the orchestrator's hook route must. */
describe('over HTTP, a GitHub-style sender and a verifying receiver', () => {
  let server: Server;
  let url: string;
  const seen: { check: SignatureCheck; event: string | undefined; deliveryId: string | undefined }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      void readRaw(req).then((raw) => {
        const check = verifyGithubSignature(SECRET, raw, single(req.headers['x-hub-signature-256']));
        seen.push({ check, ...deliveryIdentity('github', req.headers) });
        res.writeHead(check.ok ? 202 : 401).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/hooks/demo`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('accepts the fixture as sent and refuses the same payload re-serialised or re-signed wrongly', async () => {
    // Pretty-printed, non-ASCII: the signature is over these exact bytes, not over JSON.parse + stringify.
    const raw = readFileSync(new URL('./fixtures/github-push.json', import.meta.url));
    const delivery = randomUUID();
    const signature = `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
    const send = (body: Buffer | string, sig: string | undefined) =>
      fetch(url, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitHub-Hookshot/044aadd',
          'x-github-event': 'push',
          'x-github-delivery': delivery,
          'x-github-hook-id': '292430182',
          'x-hub-signature': `sha1=${createHmac('sha1', SECRET).update(raw).digest('hex')}`,
          ...(sig === undefined ? {} : { 'x-hub-signature-256': sig }),
        },
      });

    expect((await send(raw, signature)).status).toBe(202);
    const compact = JSON.stringify(JSON.parse(raw.toString('utf8')));
    expect((await send(compact, signature)).status).toBe(401);
    expect((await send(raw, undefined)).status).toBe(401);
    expect((await send(raw, signature.replace(/.$/, (c) => (c === '0' ? '1' : '0')))).status).toBe(401);

    expect(seen.map((s) => s.check)).toEqual([
      { ok: true },
      { ok: false, reason: 'mismatch' },
      { ok: false, reason: 'missing' },
      { ok: false, reason: 'mismatch' },
    ]);
    expect(new Set(seen.map((s) => `${s.event}/${s.deliveryId}`))).toEqual(new Set([`push/${delivery}`]));
  });
});

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
