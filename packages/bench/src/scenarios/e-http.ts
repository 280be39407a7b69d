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
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  bad: number;
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
        const j = JSON.parse(out) as { requests: { average: number }; latency: { p50: number; p99: number }; '2xx': number; non2xx: number; errors: number };
        resolve({ rps: j.requests.average, p50: j.latency.p50, p99: j.latency.p99, ok: j['2xx'], bad: j.non2xx + j.errors });
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
    if (r.bad > 0) throw new Error(`${r.bad} requests failed (non-2xx or errors)`);
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
    if (r.bad > 0) throw new Error(`E′: ${r.bad} requests failed (non-2xx or errors)`);
    return r;
  } finally {
    await child.stop();
  }
}

async function hello(seconds: number): Promise<Measured> {
  const port = await freePort();
  const child = await Child.start('hello', { port });
  try {
    return await measured(null, child.pid, `http://127.0.0.1:${port}/hello`, seconds);
  } finally {
    await child.stop();
  }
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
    },
    reps: ratios.map((r) => round(r, 3)),
    commands: { unit: 'request', perUnit: mid.b.commandsPerRequest, top: mid.b.top },
    cpu: { unit: 'request', perProcess: { redis: round(mid.b.redisCpuMs, 3), orchestrator: round(mid.b.serverCpuMs, 3) } },
    notes: [
      'orchestrator, Fastify hello-world and E′ each in their own process, autocannon in another; auth disabled, rate limit raised, LOG_LEVEL=warn',
      'each Baton request stores a run and enqueues its first stage (no agents running); each E′ request validates the body with the same RunRequest schema and adds one BullMQ job',
      `E′ Redis commands per request: ${mid.p.commandsPerRequest} (${Object.entries(mid.p.top).slice(0, 8).map(([k, v]) => `${k} ${v}`).join(', ')})`,
      'CPU ms per request: server process from /proc, Redis from INFO; E′/peer ratio = Baton req/s ÷ E′ req/s per repetition',
    ],
  };
}
