import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { freePort } from '@baton/platform';
import { spawnOrchestrator } from '@baton/testing';
import { Child } from '../child.js';
import type { BenchRedis } from '../redis.js';
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

async function baton(redis: BenchRedis, seconds: number): Promise<Cannon> {
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
    const r = await autocannon(`${orch.url}/v1/runs`, seconds);
    if (r.bad > 0) throw new Error(`${r.bad} requests failed (non-2xx or errors)`);
    return r;
  } finally {
    await orch.kill('SIGTERM');
  }
}

async function hello(seconds: number): Promise<Cannon> {
  const port = await freePort();
  const child = await Child.start('hello', { port });
  try {
    return await autocannon(`http://127.0.0.1:${port}/hello`, seconds);
  } finally {
    await child.stop();
  }
}

export async function scenarioE(redis: BenchRedis, opts: BenchOptions): Promise<ScenarioResult> {
  const seconds = opts.quick ? 5 : 20;
  const reps = await repeat(opts, 'E', async (rep) => {
    const s = rep < 0 ? 3 : seconds;
    const h = await hello(s);
    const b = await baton(redis, s);
    return { h, b, ratio: b.rps / h.rps };
  });
  const ratios = reps.map((r) => r.ratio);
  return {
    id: 'E',
    title: `POST /v1/runs with autocannon (c=100, ${seconds} s) vs a Fastify hello-world POST route`,
    figures: {
      batonRps: round(median(reps.map((r) => r.b.rps)), 0),
      helloRps: round(median(reps.map((r) => r.h.rps)), 0),
      ratio: round(median(ratios), 3),
      batonP50Ms: round(median(reps.map((r) => r.b.p50)), 1),
      batonP99Ms: round(median(reps.map((r) => r.b.p99)), 1),
      helloP99Ms: round(median(reps.map((r) => r.h.p99)), 1),
    },
    reps: ratios.map((r) => round(r)),
    notes: [
      'orchestrator and Fastify app each in their own process, autocannon in a third; auth disabled, rate limit raised, LOG_LEVEL=warn',
      'each request stores a run and enqueues its first stage (no agents running)',
    ],
  };
}
