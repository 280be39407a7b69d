#!/usr/bin/env node
/**
 * `pnpm bench`: Baton side by side with raw BullMQ and Fastify on this machine. Starts its own
 * redis-server (a pass without persistence, then one with AOF everysec), runs each scenario with a
 * warm-up and repetitions, prints a table of medians and ratios, writes bench/results/.
 *
 *   node packages/bench/dist/main.js [--scenarios A,B,...] [--reps n] [--quick] [--passes none,aof]
 */
import { execSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '@baton/testing';
import { BenchRedis, type Persistence } from './redis.js';
import { table, writeReport, type BenchReport, type PassReport } from './report.js';
import type { BenchOptions, Scenario, ScenarioResult } from './scenario.js';
import { SCENARIOS } from './scenarios/index.js';
import { verdicts } from './targets.js';

const { values } = parseArgs({
  options: {
    scenarios: { type: 'string', default: Object.keys(SCENARIOS).join(',') },
    reps: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    passes: { type: 'string', default: 'none,aof' },
    'aof-scenarios': { type: 'string', default: 'A,B,P,C,D,F' },
  },
});

const ids = values.scenarios.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
const unknown = ids.filter((id) => !(id in SCENARIOS));
const passes = values.passes.split(',').map((s) => s.trim()) as Persistence[];
const reps = Number(values.reps);
if (unknown.length > 0 || !Number.isInteger(reps) || reps < 1 || passes.some((p) => p !== 'none' && p !== 'aof')) {
  process.stderr.write(`usage: main.js [--scenarios ${Object.keys(SCENARIOS).join(',')}] [--reps n>=1] [--quick] [--passes none,aof]\n`);
  if (unknown.length > 0) process.stderr.write(`unknown scenario(s): ${unknown.join(', ')}\n`);
  process.exit(2);
}
const aofIds = values['aof-scenarios'].split(',').map((s) => s.trim().toUpperCase());

const started = Date.now();
const log = (msg: string) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);
const opts: BenchOptions = { reps, quick: values.quick, log };

const report: BenchReport = {
  startedAt: new Date(started).toISOString(),
  finishedAt: '',
  commit: execSync('git rev-parse --short HEAD', { cwd: REPO_ROOT }).toString().trim(),
  host: { cpus: cpus().length, loadavg: loadavg(), node: process.version, redis: execSync('redis-server --version').toString().match(/v=(\S+)/)?.[1] ?? '?' },
  options: { reps, quick: values.quick, scenarios: ids },
  passes: [],
};

for (const persistence of passes) {
  const pass = persistence === 'aof' ? ids.filter((id) => aofIds.includes(id)) : ids;
  if (pass.length === 0) continue;
  log(`pass: Redis persistence ${persistence}, scenarios ${pass.join(',')}`);
  const redis = await BenchRedis.start(persistence);
  const results = new Map<string, ScenarioResult>();
  try {
    for (const id of pass) {
      const run = SCENARIOS[id as keyof typeof SCENARIOS] as Scenario;
      const r = await run(redis, opts);
      results.set(id, r);
      log(`${id}: ${JSON.stringify(r.figures)}`);
    }
  } finally {
    await redis.stop();
  }
  const p: PassReport = { persistence: persistence === 'aof' ? 'AOF everysec' : 'none', results: [...results.values()], verdicts: verdicts(results) };
  report.passes.push(p);
  process.stdout.write(`\nRedis persistence: ${p.persistence}\n${table(p)}\n\n`);
}
report.finishedAt = new Date().toISOString();
log(`report: ${writeReport(REPO_ROOT, report)}`);
process.exit(0);
