import type { ApiErrorBody } from '@baton/contracts';
import { Harness, startRedis, type TestRedis } from '@baton/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let redis: TestRedis;
let h: Harness;

beforeAll(async () => {
  redis = await startRedis();
  h = await Harness.start(redis, {}, { bodyLimit: 64 * 1024 });
});
afterAll(async () => {
  await h.close();
  await redis.stop();
});

type Case = {
  name: string;
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  payload?: string;
  headers?: Record<string, string>;
  status: number;
  code: string;
  path?: (string | number)[];
};

const json = { 'content-type': 'application/json' };
const body = (v: unknown) => JSON.stringify(v);

const CASES: Case[] = [
  { name: 'unknown pipeline', method: 'POST', url: '/v1/runs', payload: body({ pipeline: 'nope', input: {} }), headers: json, status: 404, code: 'PIPELINE_NOT_FOUND' },
  { name: 'unknown pipeline version', method: 'POST', url: '/v1/runs', payload: body({ pipeline: 'demo', version: 99 }), headers: json, status: 404, code: 'PIPELINE_NOT_FOUND' },
  { name: 'neither pipeline nor definition', method: 'POST', url: '/v1/runs', payload: body({ input: {} }), headers: json, status: 400, code: 'INVALID_REQUEST', path: ['body', 'pipeline'] },
  { name: 'wrong type', method: 'POST', url: '/v1/runs', payload: body({ pipeline: 'demo', input: 'x' }), headers: json, status: 400, code: 'INVALID_REQUEST', path: ['body', 'input'] },
  { name: 'unknown field', method: 'POST', url: '/v1/runs', payload: body({ pipeline: 'demo', input: {}, urgency: 1 }), headers: json, status: 400, code: 'INVALID_REQUEST', path: ['body'] },
  { name: 'priority out of range', method: 'POST', url: '/v1/runs', payload: body({ pipeline: 'demo', priority: 11 }), headers: json, status: 400, code: 'INVALID_REQUEST', path: ['body', 'priority'] },
  { name: 'deadline too short', method: 'POST', url: '/v1/runs', payload: body({ pipeline: 'demo', deadlineMs: 5 }), headers: json, status: 400, code: 'INVALID_REQUEST', path: ['body', 'deadlineMs'] },
  { name: 'bad label', method: 'POST', url: '/v1/runs', payload: body({ pipeline: 'demo', labels: { 'a b': 'x' } }), headers: json, status: 400, code: 'INVALID_REQUEST', path: ['body', 'labels', 'a b'] },
  {
    name: 'cyclic inline definition',
    method: 'POST',
    url: '/v1/runs',
    payload: body({ definition: { stages: [{ name: 'a', agent: 'noop', dependsOn: ['b'] }, { name: 'b', agent: 'noop', dependsOn: ['a'] }] } }),
    headers: json,
    status: 400,
    code: 'INVALID_PIPELINE',
    path: ['definition', 'stages', 0, 'dependsOn'],
  },
  {
    name: 'unknown agent type',
    method: 'POST',
    url: '/v1/runs',
    payload: body({ definition: { stages: [{ name: 'a', agent: 'teleporter' }] } }),
    headers: json,
    status: 400,
    code: 'INVALID_PIPELINE',
    path: ['definition', 'stages', 0, 'agent'],
  },
  {
    name: 'reference to a missing stage',
    method: 'POST',
    url: '/v1/runs',
    payload: body({ definition: { stages: [{ name: 'a', agent: 'noop', input: { x: { $from: 'stages.ghost.output' } } }] } }),
    headers: json,
    status: 400,
    code: 'INVALID_PIPELINE',
    path: ['definition', 'stages', 0, 'input', 'x', '$from'],
  },
  { name: 'invalid JSON', method: 'POST', url: '/v1/runs', payload: '{"pipeline":', headers: json, status: 400, code: 'INVALID_REQUEST' },
  { name: '__proto__ key', method: 'POST', url: '/v1/runs', payload: '{"pipeline":"demo","input":{"__proto__":{"x":1}}}', headers: json, status: 400, code: 'INVALID_REQUEST' },
  { name: 'constructor.prototype key', method: 'POST', url: '/v1/runs', payload: '{"pipeline":"demo","input":{"constructor":{"prototype":{"x":1}}}}', headers: json, status: 400, code: 'INVALID_REQUEST' },
  { name: 'deep nesting', method: 'POST', url: '/v1/runs', payload: `{"pipeline":"demo","input":{"a":${'['.repeat(5000)}${']'.repeat(5000)}}}`, headers: json, status: 400, code: 'INVALID_REQUEST', path: ['body', 'input'] },
  { name: 'body over the limit', method: 'POST', url: '/v1/runs', payload: body({ pipeline: 'demo', input: { big: 'x'.repeat(100 * 1024) } }), headers: json, status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'wrong content type', method: 'POST', url: '/v1/runs', payload: 'pipeline=demo', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'text/plain', method: 'POST', url: '/v1/runs', payload: body({ pipeline: 'demo' }), headers: { 'content-type': 'text/plain' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'bad idempotency key', method: 'POST', url: '/v1/runs', payload: body({ pipeline: 'demo' }), headers: { ...json, 'idempotency-key': 'has space' }, status: 400, code: 'INVALID_REQUEST', path: ['headers', 'idempotency-key'] },
  { name: 'malformed run id', method: 'GET', url: '/v1/runs/123', status: 400, code: 'INVALID_REQUEST', path: ['params', 'id'] },
  { name: 'unknown run', method: 'GET', url: '/v1/runs/run_01M7Y673N5R6MF5373N0YQW6N1', status: 404, code: 'RUN_NOT_FOUND' },
  { name: 'cancel unknown run', method: 'POST', url: '/v1/runs/run_01M7Y673N5R6MF5373N0YQW6N1/cancel', status: 404, code: 'RUN_NOT_FOUND' },
  { name: 'events of unknown run', method: 'GET', url: '/v1/runs/run_01M7Y673N5R6MF5373N0YQW6N1/events', status: 404, code: 'RUN_NOT_FOUND' },
  { name: 'bad cursor', method: 'GET', url: '/v1/runs?cursor=nonsense', status: 400, code: 'INVALID_REQUEST', path: ['cursor'] },
  { name: 'bad status filter', method: 'GET', url: '/v1/runs?status=done', status: 400, code: 'INVALID_REQUEST', path: ['querystring', 'status'] },
  { name: 'limit out of range', method: 'GET', url: '/v1/runs?limit=100000', status: 400, code: 'INVALID_REQUEST', path: ['querystring', 'limit'] },
  { name: 'unknown query parameter', method: 'GET', url: '/v1/runs?sort=asc', status: 400, code: 'INVALID_REQUEST' },
  { name: 'retry body with unknown field', method: 'POST', url: '/v1/runs/run_01M7Y673N5R6MF5373N0YQW6N1/retry', payload: body({ from: 'x' }), headers: json, status: 400, code: 'INVALID_REQUEST', path: ['body'] },
  { name: 'bad pipeline name', method: 'PUT', url: '/v1/pipelines/Bad_Name', payload: body({ stages: [{ name: 'a', agent: 'noop' }] }), headers: json, status: 400, code: 'INVALID_REQUEST', path: ['params', 'name'] },
  { name: 'invalid pipeline', method: 'PUT', url: '/v1/pipelines/p1', payload: body({ stages: [] }), headers: json, status: 400, code: 'INVALID_REQUEST', path: ['body', 'stages'] },
  { name: 'unknown route', method: 'GET', url: '/v1/nothing', status: 404, code: 'NOT_FOUND' },
  { name: 'bad Last-Event-ID', method: 'GET', url: '/v1/runs/run_01M7Y673N5R6MF5373N0YQW6N1/events', headers: { 'last-event-id': 'x' }, status: 400, code: 'INVALID_REQUEST', path: ['headers', 'last-event-id'] },
];

describe('bad input gets a precise 4xx, never a 5xx, and enqueues nothing', () => {
  it.each(CASES)('$name -> $status $code', async (c) => {
    const res = await h.app.inject({ method: c.method, url: c.url, ...(c.payload !== undefined ? { payload: c.payload } : {}), headers: c.headers ?? {} });
    const parsed = JSON.parse(res.body) as ApiErrorBody;
    expect({ status: res.statusCode, code: parsed.error.code }).toEqual({ status: c.status, code: c.code });
    expect(parsed.requestId).toBe(res.headers['x-request-id']);
    // Issues point at the offending field (a path may go deeper than the expected prefix).
    if (c.path) expect(parsed.error.issues?.map((i) => i.path.slice(0, c.path!.length))).toContainEqual(c.path);
  });

  it('left no run and no job behind', async () => {
    const list = await h.request<{ items: unknown[] }>('GET', '/v1/runs');
    expect(list.body.items).toEqual([]);
    const counts = await h.engine.ctx.queues.counts('noop');
    expect(counts.waiting + counts.delayed + counts.active).toBe(0);
    expect(await h.redis.command('EXISTS', h.keys.runsActive())).toBe(0);
  });
});
