import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NotificationBody, NotificationDeliveryList, RunView } from '@baton/contracts';
import { verifyTimestamped } from '@baton/orchestrator';
import { defineAgent, NonRetryableError } from '@baton/runtime';
import { spawnOrchestrator, testNamespace, useTestStack, waitFor } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const stack = useTestStack();
const SECRET = 'notify-secret-'.padEnd(40, 'n');
const SECRETS = { BATON_SECRET_NOTIFY: SECRET };

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local HTTP receiver; `answer(n)` decides the status of the n-th request (1-based), or 'hang' to never answer. */
async function receiver(answer: (n: number) => number | 'hang' = () => 200) {
  const got: Received[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      const a = answer(got.length);
      if (a === 'hang') hanging.push(res);
      else res.writeHead(a).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  stack.defer(async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
}

const bodyOf = (r: Received) => JSON.parse(r.body) as NotificationBody;
const FAST_NOTIFY = { attempts: 4, backoffMs: 200, timeoutMs: 5000 };

describe('notifications', () => {
  it('deliver each subscribed event once, signed so the README receiver code verifies it; filters by pipeline and label', async () => {
    const h = await stack.harness({}, { secrets: SECRETS, notify: FAST_NOTIFY });
    const rx = await receiver();
    expect((await h.request('PUT', '/v1/pipelines/deploy', { stages: [{ name: 's', agent: 'noop' }] })).status).toBe(201);
    const put = await h.request<{ target: unknown }>('PUT', '/v1/notifications/ops', {
      events: ['run.cancelled', 'run.failed'],
      pipelines: ['deploy'],
      labels: { env: 'prod' },
      target: { type: 'webhook', url: `${rx.url}?token=abc`, secret: { env: 'BATON_SECRET_NOTIFY' } },
      dashboardUrl: 'https://baton.example.com',
    });
    expect(put.status).toBe(201);
    expect(JSON.stringify(put.body)).not.toContain('token=abc');

    const submit = (labels: Record<string, string>, pipeline = 'deploy') => h.submit({ pipeline, labels });
    const first = await submit({ env: 'prod' });
    const ignoredByLabel = await submit({ env: 'dev' });
    await h.request('POST', `/v1/runs/${ignoredByLabel.id}/cancel`);
    await h.request('POST', `/v1/runs/${first.id}/cancel`);
    await waitFor(() => rx.got.length >= 1, { what: 'the first notification' });
    // A second event is the barrier: once it arrived, a duplicate of the first would have too.
    const second = await submit({ env: 'prod' });
    await h.request('POST', `/v1/runs/${second.id}/cancel`);
    await waitFor(() => rx.got.length >= 2, { what: 'the second notification' });
    await waitFor(async () => (await h.request<NotificationDeliveryList>('GET', '/v1/notifications/ops/deliveries')).body.items.every((d) => d.status === 'delivered'), { what: 'delivered records' });
    expect(rx.got.map((r) => bodyOf(r).run.id).sort()).toEqual([first.id, second.id].sort());
    const msg = rx.got.find((r) => bodyOf(r).run.id === first.id)!;
    const body = bodyOf(msg);
    expect(body).toMatchObject({ subscription: 'ops', event: 'run.cancelled', run: { pipeline: 'deploy', status: 'cancelled', labels: { env: 'prod' }, url: `https://baton.example.com/ui/runs/${first.id}` } });
    expect(msg.headers['x-baton-delivery']).toBe(body.deliveryId);
    expect(verifyTimestamped(SECRET, msg.body, msg.headers['x-baton-signature'] as string, Date.now() / 1000)).toEqual({ ok: true });
    expect(verifyTimestamped('another-secret', msg.body, msg.headers['x-baton-signature'] as string, Date.now() / 1000).ok).toBe(false);
  }, 60_000);

  it('a receiver answering 500 then 200 gets the delivery after a retry with the same delivery id; exhausted ones are dead letters to redeliver', async () => {
    const h = await stack.harness({}, { secrets: SECRETS, notify: { ...FAST_NOTIFY, attempts: 3 } });
    const flaky = await receiver((n) => (n === 1 ? 500 : 200));
    await h.request('PUT', '/v1/notifications/flaky', { events: ['run.cancelled'], target: { type: 'webhook', url: flaky.url, secret: { env: 'BATON_SECRET_NOTIFY' } } });
    let broken = true;
    const down = await receiver(() => (broken ? 503 : 200));
    await h.request('PUT', '/v1/notifications/down', { events: ['run.cancelled'], target: { type: 'slack', url: down.url } });
    const run = await h.submit({ definition: { stages: [{ name: 's', agent: 'noop' }] } });
    await h.request('POST', `/v1/runs/${run.id}/cancel`);

    await waitFor(() => flaky.got.length >= 2, { what: 'the retried delivery' });
    expect(flaky.got[0]!.headers['x-baton-delivery']).toBe(flaky.got[1]!.headers['x-baton-delivery']);
    await waitFor(async () => (await h.request<NotificationDeliveryList>('GET', '/v1/notifications/flaky/deliveries')).body.items[0]?.status === 'delivered', { what: 'delivered after retry' });
    expect((await h.request<NotificationDeliveryList>('GET', '/v1/notifications/flaky/deliveries')).body.items[0]).toMatchObject({ attempts: 2, runId: run.id });

    const dead = await waitFor(async () => (await h.request<NotificationDeliveryList>('GET', '/v1/notifications/down/deliveries?status=failed')).body.items[0], { what: 'the dead letter', timeoutMs: 30_000 });
    expect(dead).toMatchObject({ attempts: 3, lastError: 'the receiver answered 503' });
    expect(down.got).toHaveLength(3);
    // Slack's incoming-webhook format.
    const slack = JSON.parse(down.got[0]!.body) as { text: string; blocks: { text: { text: string } }[] };
    expect(slack.text).toContain('Run cancelled');
    expect(slack.blocks[0]!.text.text).toContain(run.id);
    broken = false;
    const again = await h.request('POST', `/v1/notifications/down/deliveries/${dead.deliveryId}/redeliver`);
    expect(again.status).toBe(202);
    await waitFor(() => down.got.length === 4, { what: 'the redelivery' });
    expect(down.got[3]!.headers['x-baton-delivery']).toBe(dead.deliveryId);
    await waitFor(async () => (await h.request<NotificationDeliveryList>('GET', '/v1/notifications/down/deliveries')).body.items[0]?.status === 'delivered', { what: 'redelivered' });
    expect((await h.request('POST', '/v1/notifications/down/deliveries/nope/redeliver')).status).toBe(404);
  }, 60_000);

  it('tells run.failed and stage.failed with the failing stage and its error', async () => {
    const h = await stack.harness({}, { secrets: SECRETS, notify: FAST_NOTIFY });
    const rx = await receiver();
    await h.agent(defineAgent({ type: 'breaker', input: z.object({}), output: z.object({}), handler: async () => Promise.reject(new NonRetryableError('BROKEN', 'it broke')) }));
    await h.request('PUT', '/v1/notifications/fails', { events: ['run.failed', 'stage.failed'], target: { type: 'webhook', url: rx.url, secret: { env: 'BATON_SECRET_NOTIFY' } } });
    const run = await h.submit({ definition: { stages: [{ name: 'b', agent: 'breaker' }] } });
    await h.waitRun(run.id);
    await waitFor(() => rx.got.length === 2, { what: 'two notifications' });
    const byEvent = Object.fromEntries(rx.got.map((r) => [bodyOf(r).event, bodyOf(r)]));
    expect(byEvent['stage.failed']).toMatchObject({ stage: 'b', error: { code: 'BROKEN', message: 'it broke' } });
    expect(byEvent['run.failed']).toMatchObject({ stage: 'b', run: { status: 'failed' }, error: { code: 'BROKEN' } });
  }, 60_000);

  it('an orchestrator killed with -9 between the transition and the delivery: another one still delivers it, with the same delivery id', async () => {
    const ns = testNamespace();
    const rx = await receiver((n) => (n === 1 ? 'hang' : 200));
    const env = { BATON_SECRET_NOTIFY: SECRET, BATON_NOTIFY_LOCK_MS: '2000', BATON_NOTIFY_BACKOFF_MS: '200', LOG_LEVEL: 'warn' };
    const a = await spawnOrchestrator(stack.redis.target, ns, env);
    stack.defer(() => a.kill('SIGKILL'));
    const call = async (base: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
      return (await res.json()) as unknown;
    };
    await call(a.url, 'PUT', '/v1/notifications/durable', { events: ['run.cancelled'], target: { type: 'webhook', url: rx.url, secret: { env: 'BATON_SECRET_NOTIFY' } } });
    const run = (await call(a.url, 'POST', '/v1/runs', { definition: { stages: [{ name: 's', agent: 'noop' }] } })) as RunView;
    await call(a.url, 'POST', `/v1/runs/${run.id}/cancel`);
    await waitFor(() => rx.got.length === 1, { what: 'the delivery attempt A makes' });
    await a.kill('SIGKILL');
    const b = await spawnOrchestrator(stack.redis.target, ns, env);
    stack.defer(() => b.kill('SIGTERM'));
    await waitFor(() => rx.got.length === 2, { what: 'B delivering it', timeoutMs: 60_000 });
    expect(rx.got[1]!.headers['x-baton-delivery']).toBe(rx.got[0]!.headers['x-baton-delivery']);
    expect(bodyOf(rx.got[1]!).run.id).toBe(run.id);
    await waitFor(async () => ((await call(b.url, 'GET', '/v1/notifications/durable/deliveries')) as NotificationDeliveryList).items[0]?.status === 'delivered', { what: 'delivered record' });
  }, 120_000);
});
