import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { useTestStack } from '@baton/testing';
import { describe, expect, it } from 'vitest';

const stack = useTestStack();
const BOOTSTRAP = `boot-${'z'.repeat(40)}`;
const REQUESTS = Number(process.env.BATON_FUZZ_REQUESTS ?? 10_000);
const SEED = Number(process.env.BATON_FUZZ_SEED ?? 20261121);

/** mulberry32: a small seeded PRNG, so a failing case can be replayed with BATON_FUZZ_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('fuzzing every route with malformed requests', () => {
  it(`answers ${REQUESTS} malformed requests without a 5xx, enqueues nothing and does not grow memory without bound`, async () => {
    const h = await stack.harness({}, { auth: { mode: 'required', bootstrapAdminKey: BOOTSTRAP, rateLimit: { max: 1_000_000, windowMs: 60_000 } }, bodyLimit: 256 * 1024, secrets: { BATON_SECRET_FUZZ: 'f'.repeat(32) } });
    // A trigger whose hook route the fuzzer calls with bad signatures (issue 17).
    const admin = { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/json' };
    expect((await h.app.inject({ method: 'PUT', url: '/v1/pipelines/fz', headers: admin, payload: JSON.stringify({ stages: [{ name: 's', agent: 'noop' }] }) })).statusCode).toBe(201);
    expect((await h.app.inject({ method: 'PUT', url: '/v1/triggers/fz', headers: admin, payload: JSON.stringify({ source: 'github', secret: { env: 'BATON_SECRET_FUZZ' }, pipeline: 'fz' }) })).statusCode).toBe(201);
    const rnd = prng(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const int = (n: number) => Math.floor(rnd() * n);

    const nasty = ['', ' ', '..', '../../etc/passwd', '%00', '%2e%2e', '__proto__', 'constructor', 'run_', 'run_0000000000000000000000000I', 'x'.repeat(400), '\u202e', '😀', 'a b', "';DROP", '{}', '-1', '1e309'];
    const weirdValue = (depth = 0): unknown => {
      switch (int(depth > 3 ? 6 : 10)) {
        case 0: return null;
        case 1: return int(2) === 0;
        case 2: return pick([0, -1, 1e308, -0, 2 ** 53 + 1, 3.14]);
        case 3: return pick(nasty);
        case 4: return 'x'.repeat(int(5000));
        case 5: return [];
        case 6: return Array.from({ length: int(5) }, () => weirdValue(depth + 1));
        case 7: return { [pick(nasty) || 'k']: weirdValue(depth + 1) };
        case 8: return { __proto__x: 1, stages: weirdValue(depth + 1) };
        default: return { pipeline: weirdValue(depth + 1), definition: weirdValue(depth + 1), extra: 1 };
      }
    };
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    /** Bodies that are always invalid for the route they go to. */
    const badBody = (): { payload: string; type: string } => {
      switch (int(12)) {
        case 0: return { payload: JSON.stringify(weirdValue()), type: 'application/json' };
        case 1: return { payload: `{"pipeline":"demo","input":${deep(500 + int(5000))}}`, type: 'application/json' };
        case 2: return { payload: JSON.stringify({ pipeline: 'demo', input: { s: 'y'.repeat(300 * 1024) } }), type: 'application/json' }; // over the limit
        case 3: return { payload: `{"pipeline":"demo","input":{"__proto__":{"admin":true}}}`, type: 'application/json' };
        case 4: return { payload: `{"constructor":{"prototype":{"x":1}},"pipeline":"demo"}`, type: 'application/json' };
        case 5: return { payload: JSON.stringify({ definition: { stages: Array.from({ length: 200 }, (_, i) => ({ name: `s${i}`, agent: 'noop' })) } }), type: 'application/json' }; // too many stages
        case 6: return { payload: '{"pipeline": "demo",', type: 'application/json' };
        case 7: return { payload: '\u0000\u0001\u0002garbage', type: pick(['application/octet-stream', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']) };
        case 8: return { payload: JSON.stringify({ pipeline: 'demo', labels: { [pick(nasty) || 'bad key']: 1 } }), type: 'application/json' };
        case 9: return { payload: JSON.stringify({ definition: { stages: [{ name: 'a', agent: 'noop', dependsOn: ['a'] }] } }), type: 'application/json' };
        case 10: return { payload: JSON.stringify({ pipeline: 'demo', version: pick([0, -1, 'x', 1.5]) }), type: 'application/json' };
        default: return { payload: JSON.stringify(Array.from({ length: 10_000 + int(40_000) }, () => 1)), type: 'application/json' };
      }
    };
    const badId = () => encodeURIComponent(pick(nasty) || 'x');
    const ROUTES: (() => { method: string; url: string; body?: boolean; json?: unknown })[] = [
      () => ({ method: 'POST', url: '/v1/runs', body: true }),
      () => ({ method: 'GET', url: `/v1/runs?${pick(['cursor=', 'cursor=abc', 'limit=-1', 'limit=abc', 'limit=1&limit=2', 'status=nope', 'pipeline=' + 'p'.repeat(500), 'x=1', 'cursor=' + Buffer.from('run_zz').toString('base64url'), 'label=nocolon', 'label=a:1&label=' + 'b'.repeat(400), 'createdAfter=yesterday', 'createdBefore=2026-13-01T00:00:00Z', 'pipelineVersion=1', 'pipeline=demo&pipelineVersion=0', 'createdBy='])}` }),
      () => ({ method: 'GET', url: `/v1/runs/${badId()}` }),
      () => ({ method: 'GET', url: `/v1/runs/${badId()}/events` }),
      () => ({ method: 'GET', url: `/v1/runs/${badId()}/artifacts` }),
      () => ({ method: 'GET', url: `/v1/runs/${badId()}/artifacts/${badId()}` }),
      () => ({ method: pick(['POST', 'PUT']), url: `/v1/runs/${badId()}/${pick(['cancel', 'pause', 'resume', 'retry'])}`, body: int(2) === 0 }),
      () => ({ method: 'POST', url: `/v1/runs/${badId()}/fork`, body: true }),
      () => ({ method: 'GET', url: `/v1/runs/${badId()}/stages/${pick(['a', '..', '%00', 'x'.repeat(100)])}/logs${pick(['', '/page'])}?${pick(['after=x', 'limit=0', 'dispatch=-1', 'dispatch=x', 'y=1'])}` }),
      () => ({ method: 'POST', url: `/v1/runs/bulk/${pick(['cancel', 'retry', 'nope'])}`, body: true }),
      () => ({ method: 'POST', url: `/v1/runs/bulk/${pick(['cancel', 'retry'])}`, json: pick([{ filter: {} }, { filter: { label: 'a:b' }, limit: pick([0, -1, 100_000, 'x']) }, { filter: { status: 'nope' } }, { filter: { pipelineVersion: 1 } }, { filter: { label: 'a:b' }, dryRun: 'yes' }, { filter: { label: 'a:b' }, extra: 1 }, { filter: { createdAfter: 'yesterday' } }]) }),
      () => ({ method: 'POST', url: `/v1/runs/${badId()}/stages/${pick(['gate', '', '..', 'a'.repeat(200), '%00'])}/${pick(['approve', 'reject'])}`, body: int(2) === 0 }),
      () => ({ method: 'POST', url: `/v1/runs/${badId()}/signals/${pick(['go', '', '..', 'a'.repeat(200), '%00', 'UP'])}`, body: int(2) === 0 }),
      () => ({ method: 'POST', url: `/v1/agents/${badId()}/${pick(['drain', 'restart'])}`, body: int(2) === 0 }),
      () => ({ method: pick(['GET', 'POST']), url: `/v1/fleets/${badId()}/drain` }),
      () => ({ method: 'POST', url: `/v1/queues/${badId()}/${pick(['pause', 'resume'])}` }),
      () => ({ method: 'GET', url: `/v1/queues?${pick(['x=1', 'a[]=b'])}` }),
      () => ({ method: 'PUT', url: `/v1/pipelines/${pick([badId(), 'ok-name'])}`, body: true }),
      () => ({ method: 'GET', url: `/v1/pipelines/${badId()}?version=${pick(['-1', 'x', '0', '1e9'])}` }),
      () => ({ method: 'POST', url: '/v1/keys', body: true }),
      () => ({ method: 'POST', url: `/v1/keys/${badId()}/revoke` }),
      () => ({ method: 'GET', url: `/v1/audit?${pick(['limit=0', 'limit=x', 'cursor=zz', 'cursor=1-'])}` }),
      () => ({ method: pick(['DELETE', 'PATCH', 'PUT']), url: pick(['/v1/runs', '/v1/agents', '/health']) }),
      // The dashboard's routes (issue 7).
      () => ({ method: 'GET', url: `/v1/${pick(['whoami', 'runs/changes', 'queues/throughput'])}?${pick(['x=1', 'a[]=b', 'limit=1'])}` }),
      () => ({ method: 'POST', url: '/v1/session', body: true }),
      // The overview (issue 18): ranges reversed, too long, malformed, or with unknown parameters.
      () => ({ method: 'GET', url: `/v1/overview?${pick(['from=x', 'to=1', 'from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'from=2000-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from=9999-01-01T00:00:00Z', 'from[]=a', 'range=1h', `from=${badId()}`])}` }),
      () => ({ method: pick(['GET', 'PUT']), url: `/ui/${pick(['bull', 'bull-admin'])}/api/queues/${badId()}/${pick(['pause', 'resume', badId()])}` }),
      () => ({ method: pick(['POST', 'PUT', 'DELETE']), url: `/ui/${pick(['runs', 'js/main.js', badId()])}` }),
      () => ({ method: 'GET', url: `/${badId()}/${badId()}` }),
      // Triggers, schedules, notifications (issue 17).
      () => ({ method: 'PUT', url: `/v1/${pick(['triggers', 'schedules', 'notifications'])}/${pick([badId(), 'ok-name'])}`, body: true }),
      () => ({ method: pick(['GET', 'DELETE']), url: `/v1/${pick(['triggers', 'schedules', 'notifications'])}/${badId()}` }),
      () => ({ method: 'POST', url: `/v1/schedules/${badId()}/${pick(['pause', 'resume'])}` }),
      () => ({ method: 'GET', url: `/v1/notifications/${badId()}/deliveries?${pick(['status=nope', 'limit=0', 'limit=x', 'x=1'])}` }),
      () => ({ method: 'POST', url: `/v1/notifications/${badId()}/deliveries/${badId()}/redeliver` }),
      () => ({ method: 'GET', url: `/v1/${pick(['triggers', 'schedules', 'notifications'])}?${pick(['x=1', 'a[]=b'])}` }),
      () => ({ method: 'POST', url: `/v1/hooks/${pick(['fz', badId()])}`, body: true }),
    ];
    const headerSets: (() => Record<string, string>)[] = [
      () => ({ authorization: `Bearer ${BOOTSTRAP}` }),
      () => ({ authorization: `Bearer ${BOOTSTRAP}`, 'idempotency-key': pick(['', ' ', 'a'.repeat(1000), 'tab\tkey', 'ünïcode']) }),
      () => ({ authorization: `Bearer ${BOOTSTRAP}`, 'last-event-id': pick(['x', '-1', '99999999999999999999999-1', '']) }),
      () => ({ authorization: `Bearer ${BOOTSTRAP}`, 'x-request-id': pick(['', 'a'.repeat(500), '<script>']) }),
      () => ({ authorization: pick(['Bearer', 'Basic abc', `Bearer bk_${'0'.repeat(12)}_${'A'.repeat(43)}`, 'Bearer '.repeat(50), 'x'.repeat(8000)]) }),
      () => ({ 'x-api-key': pick(['', 'bk_', 'bk_zzzzzzzzzzzz_short']) }),
      // A webhook delivery with a forged or broken signature.
      () => ({ 'x-github-event': pick(['push', 'pull_request', '']), 'x-github-delivery': pick(['d-1', '', 'x'.repeat(500)]), 'x-hub-signature-256': pick(['', 'sha256=', `sha256=${'0'.repeat(64)}`, 'md5=abc', 'sha256=zz']) }),
    ];

    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const statuses = new Map<number, number>();
    const fiveHundreds: string[] = [];
    const accepted: string[] = [];
    let heapAfterWarmup = 0;
    for (let i = 0; i < REQUESTS; i++) {
      if (i === Math.floor(REQUESTS / 5)) heapAfterWarmup = heap();
      const route = pick(ROUTES)();
      const headers = pick(headerSets)();
      const body = route.json !== undefined ? { payload: JSON.stringify(route.json), type: 'application/json' } : route.body ? badBody() : null;
      const res = await h.app.inject({
        method: route.method as 'GET',
        url: route.url,
        headers: body ? { ...headers, 'content-type': body.type } : headers,
        ...(body ? { payload: body.payload } : {}),
      });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      // Outside the API, a GET may legitimately find a page (the dashboard's, bull-board's, or / redirecting to /ui/).
      const page = route.method === 'GET' && !route.url.startsWith('/v1/');
      if (res.statusCode < 400 && !page) accepted.push(`${route.method} ${route.url.slice(0, 120)} -> ${res.statusCode}`);
      if (res.statusCode >= 500) fiveHundreds.push(`${route.method} ${route.url.slice(0, 120)} -> ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
    const heapGrowth = heap() - heapAfterWarmup;

    expect(fiveHundreds).toEqual([]);
    expect(accepted).toEqual([]);
    // Nothing was enqueued or created.
    for (const type of await h.engine.registry.knownTypes()) {
      const c = await h.engine.ctx.queues.counts(type);
      expect({ type, queued: c.waiting + c.delayed + c.active + c.prioritized }).toEqual({ type, queued: 0 });
    }
    expect(await stack.redis.command('ZCARD', h.keys.runsByCreated())).toBe(0);
    // Memory after the last 80% of the requests stays within a few MB of where it was after the first 20%.
    expect(heapGrowth).toBeLessThan(64 * 1024 * 1024);
    console.log(`fuzz: seed ${SEED}, ${REQUESTS} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}, heap growth ${(heapGrowth / 1024 / 1024).toFixed(1)} MB`);
  }, 300_000);
});
