import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { freePort } from '@baton/platform';
import { spawnOrchestrator } from '@baton/testing';
import { Child, procCpuSeconds } from '../child.js';
import { perUnit, type BenchRedis } from '../redis.js';
import { repeat, type BenchOptions, type ScenarioResult } from '../scenario.js';
import { median, round } from '../stats.js';

const NS = 'bench';
const BODY = JSON.stringify({ pipeline: 'bench', input: { project: 'x' } });

interface Cannon {
  /** Responses per second that were 2xx (the failed ones do not count as throughput). */
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  /** Requests that failed: non-2xx responses and socket errors / timeouts. */
  bad: number;
  /** `bad` by status code, plus "errors" (no response: socket errors, timeouts). */
  failures: Record<string, number>;
}

/** A run fails only when more than this share of its requests failed; fewer are reported in the figures. */
export const MAX_FAILED_SHARE = 0.01;

/** Throws when too many of a run's requests failed (see MAX_FAILED_SHARE). */
function checkFailures(what: string, r: Cannon): void {
  if (r.bad > MAX_FAILED_SHARE * Math.max(1, r.ok + r.bad)) {
    throw new Error(`${what}: ${r.bad} of ${r.ok + r.bad} requests failed (${describeFailures(r.failures)}), more than ${MAX_FAILED_SHARE * 100} %`);
  }
}

export const describeFailures = (f: Record<string, number>) =>
  Object.entries(f).map(([code, n]) => `${code}: ${n}`).join(', ') || 'none';

interface CannonJson {
  requests: { average: number };
  latency: { p50: number; p99: number };
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodeStats?: Record<string, { count: number }>;
}

export function parseCannon(j: CannonJson): Cannon {
  const failures: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(j.statusCodeStats ?? {})) if (!code.startsWith('2') && count > 0) failures[code] = count;
  if (j.errors > 0) failures.errors = j.errors;
  const answered = j['2xx'] + j.non2xx;
  const rps = answered > 0 ? (j.requests.average * j['2xx']) / answered : 0;
  return { rps, p50: j.latency.p50, p99: j.latency.p99, ok: j['2xx'], bad: j.non2xx + j.errors, failures };
}

/** autocannon in its own process (c=100), POSTing BODY. */
function autocannon(url: string, seconds: number): Promise<Cannon> {
  const bin = createRequire(import.meta.url).resolve('autocannon');
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [bin, '--json', '-c', '100', '-d', String(seconds), '-m', 'POST', '-H', 'content-type=application/json', '-b', BODY, url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.once('exit', (code) => {
      try {
        resolve(parseCannon(JSON.parse(out) as CannonJson));
      } catch {
        reject(new Error(`autocannon exited ${code}: ${err.slice(-2000)}`));
      }
    });
  });
}

/** A Cannon run with the server process's and Redis's CPU per request, and Redis commands per request. */
interface Measured extends Cannon {
  serverCpuMs: number;
  redisCpuMs: number;
  commandsPerRequest: number;
  top: Record<string, number>;
}

async function measured(redis: BenchRedis | null, pid: number, url: string, seconds: number): Promise<Measured> {
  await redis?.resetStats();
  const redis0 = redis ? await redis.cpuSeconds() : 0;
  const cpu0 = procCpuSeconds(pid);
  const r = await autocannon(url, seconds);
  const n = Math.max(1, r.ok);
  const serverCpuMs = ((procCpuSeconds(pid) - cpu0) * 1000) / n;
  if (!redis) return { ...r, serverCpuMs, redisCpuMs: 0, commandsPerRequest: 0, top: {} };
  const redisCpuMs = (((await redis.cpuSeconds()) - redis0) * 1000) / n;
  const c = perUnit(await redis.commandStats(), n);
  return { ...r, serverCpuMs, redisCpuMs, commandsPerRequest: c.perUnit, top: c.top };
}

async function baton(redis: BenchRedis, seconds: number): Promise<Measured> {
  await redis.flush();
  const orch = await spawnOrchestrator(redis.url, NS, {
    LOG_LEVEL: 'warn',
    BATON_SWEEP_INTERVAL_MS: '1000',
    BATON_RECONCILE_INTERVAL_MS: '5000',
    BATON_REPAIR_GRACE_MS: '5000',
    BATON_BUILTIN_PIPELINES: 'false',
    BATON_RATE_LIMIT_MAX: '1000000000',
    // Extra NODE_OPTIONS for the orchestrator (Node refuses --cpu-prof there: profile with --inspect).
    ...(process.env.BENCH_ORCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_ORCH_NODE_OPTIONS } : {}),
  });
  try {
    const put = await fetch(`${orch.url}/v1/pipelines/bench`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ stages: [{ name: 'a', agent: 'noop', input: { echo: { $from: 'input.project' } } }] }),
    });
    if (!put.ok) throw new Error(`PUT pipeline: ${put.status} ${await put.text()}`);
    const r = await measured(redis, orch.pid, `${orch.url}/v1/runs`, seconds);
    checkFailures('E (Baton)', r);
    return r;
  } finally {
    await orch.kill('SIGTERM');
  }
}

/** E′: a hand-written Fastify route that zod-validates the same body and adds one BullMQ job. */
async function fastifyBullmq(redis: BenchRedis, seconds: number): Promise<Measured> {
  await redis.flush();
  const port = await freePort();
  const child = await Child.start('fastify-bullmq', { port, url: redis.url, namespace: NS, queue: 'eprime' });
  try {
    const r = await measured(redis, child.pid, `http://127.0.0.1:${port}/v1/runs`, seconds);
    checkFailures('E′', r);
    return r;
  } finally {
    await child.stop();
  }
}

async function hello(seconds: number): Promise<Measured> {
  const port = await freePort();
  const child = await Child.start('hello', { port });
  try {
    const r = await measured(null, child.pid, `http://127.0.0.1:${port}/hello`, seconds);
    checkFailures('hello-world', r);
    return r;
  } finally {
    await child.stop();
  }
}

/** Failures of several runs, summed by status code. */
function failedBy(runs: Cannon[]): string {
  const sum: Record<string, number> = {};
  for (const r of runs) for (const [code, n] of Object.entries(r.failures)) sum[code] = (sum[code] ?? 0) + n;
  return describeFailures(sum);
}

export async function scenarioE(redis: BenchRedis, opts: BenchOptions): Promise<ScenarioResult> {
  const seconds = opts.quick ? 5 : 20;
  const reps = await repeat(opts, 'E', async (rep) => {
    const s = rep < 0 ? 3 : seconds;
    const h = await hello(s);
    const p = await fastifyBullmq(redis, s);
    const b = await baton(redis, s);
    return { h, p, b, ratio: b.rps / h.rps, peerRatio: b.rps / p.rps };
  });
  const ratios = reps.map((r) => r.ratio);
  const med = (f: (r: (typeof reps)[number]) => number, digits = 1) => round(median(reps.map(f)), digits);
  const mid = reps.find((r) => r.ratio === median(ratios)) ?? reps[0]!;
  return {
    id: 'E',
    title: `POST /v1/runs with autocannon (c=100, ${seconds} s) vs a Fastify hello-world POST route and E′ (Fastify + zod + one BullMQ add)`,
    figures: {
      batonRps: med((r) => r.b.rps, 0),
      helloRps: med((r) => r.h.rps, 0),
      peerRps: med((r) => r.p.rps, 0),
      ratio: round(median(ratios), 3),
      peerRatio: med((r) => r.peerRatio, 3),
      batonP50Ms: med((r) => r.b.p50),
      batonP99Ms: med((r) => r.b.p99),
      peerP99Ms: med((r) => r.p.p99),
      helloP99Ms: med((r) => r.h.p99),
      batonServerCpuMs: med((r) => r.b.serverCpuMs, 3),
      batonRedisCpuMs: med((r) => r.b.redisCpuMs, 3),
      peerServerCpuMs: med((r) => r.p.serverCpuMs, 3),
      peerRedisCpuMs: med((r) => r.p.redisCpuMs, 3),
      helloServerCpuMs: med((r) => r.h.serverCpuMs, 3),
      peerCommandsPerRequest: mid.p.commandsPerRequest,
      // Failed requests summed over the repetitions (each repetition fails beyond MAX_FAILED_SHARE).
      batonFailed: reps.reduce((n, r) => n + r.b.bad, 0),
      peerFailed: reps.reduce((n, r) => n + r.p.bad, 0),
      helloFailed: reps.reduce((n, r) => n + r.h.bad, 0),
    },
    reps: ratios.map((r) => round(r, 3)),
    commands: { unit: 'request', perUnit: mid.b.commandsPerRequest, top: mid.b.top },
    cpu: { unit: 'request', perProcess: { redis: round(mid.b.redisCpuMs, 3), orchestrator: round(mid.b.serverCpuMs, 3) } },
    notes: [
      'orchestrator, Fastify hello-world and E′ each in their own process, autocannon in another; auth disabled, rate limit raised, LOG_LEVEL=warn',
      'each Baton request stores a run and enqueues its first stage (no agents running); each E′ request validates the body with the same RunRequest schema and adds one BullMQ job',
      `E′ Redis commands per request: ${mid.p.commandsPerRequest} (${Object.entries(mid.p.top).slice(0, 8).map(([k, v]) => `${k} ${v}`).join(', ')})`,
      'CPU ms per request: server process from /proc, Redis from INFO; E′/peer ratio = Baton req/s ÷ E′ req/s per repetition',
      `req/s counts 2xx responses only; failed requests (a repetition fails beyond ${MAX_FAILED_SHARE * 100} %): Baton ${failedBy(reps.map((r) => r.b))}; E′ ${failedBy(reps.map((r) => r.p))}; hello ${failedBy(reps.map((r) => r.h))}`,
    ],
  };
}
