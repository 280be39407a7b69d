import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { noopAgent } from '@baton/agent-noop';
import type { RunView } from '@baton/contracts';
import { DEFAULT_AUTH, startOrchestrator } from '@baton/orchestrator';
import { createLogger } from '@baton/platform';
import { startAgent } from '@baton/runtime';
import { keys } from '@baton/contracts';
import {
  ENTRYPOINTS,
  FAST_ENGINE,
  freePort,
  http,
  parsePromText,
  promSum,
  REPO_ROOT,
  spawnAgent,
  spawnOrchestrator,
  useTestStack,
  waitFor,
  type BatonProcess,
} from '@baton/testing';
import { describe, expect, it } from 'vitest';

const stack = useTestStack();
const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
const hasPrometheus = spawnSync('prometheus', ['--version']).status === 0;
const NEEDS_PROMETHEUS = 'needs the Debian package "prometheus" (promtool, prometheus); .ci/run installs it';

function promtool(args: string[], stdin?: string): { code: number; out: string } {
  const r = spawnSync('promtool', args, { input: stdin, encoding: 'utf8', cwd: join(REPO_ROOT, 'deploy/prometheus') });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function track<P extends BatonProcess>(p: P): P {
  stack.defer(() => p.kill('SIGKILL'));
  return p;
}

describe('fleet metrics', () => {
  it('count what happened: runs, stages, failures, histograms, queues and agents', async () => {
    const h = await stack.harness();
    await h.agent(noopAgent, { concurrency: 4 });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await h.submit({ pipeline: 'demo', input: { i } })).id);
    ids.push((await h.submit({ definition: { stages: [{ name: 'x', agent: 'noop', input: { fail: { code: 'E_TEST', retryable: false } } }] } })).id);
    ids.push((await h.submit({ definition: { stages: [{ name: 'r', agent: 'noop', input: { fail: { untilAttempt: 1 } }, retry: { maxAttempts: 2, backoff: { type: 'fixed', delayMs: 10 } } }] } })).id);
    for (const id of ids) await h.waitRun(id);

    const text = await waitFor(async () => {
      const body = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
      const m = parsePromText(body); // counters are cached for 5 s
      return promSum(m, 'baton_runs_finished_total') === 5 && promSum(m, 'baton_agents', { agent: 'noop', liveness: 'alive' }) === 1 ? body : undefined;
    }, { what: 'fresh metrics', timeoutMs: 20_000 });
    const m = parsePromText(text);
    expect(promSum(m, 'baton_runs_submitted_total', { pipeline: 'demo' })).toBe(3);
    expect(promSum(m, 'baton_runs_submitted_total', { pipeline: 'inline' })).toBe(2);
    expect(promSum(m, 'baton_runs_finished_total', { status: 'succeeded' })).toBe(4);
    expect(promSum(m, 'baton_runs_finished_total', { pipeline: 'inline', status: 'failed' })).toBe(1);
    expect(promSum(m, 'baton_stage_failures_total', { agent: 'noop', code: 'E_TEST' })).toBe(1);
    expect(promSum(m, 'baton_stage_retries_total', { agent: 'noop' })).toBe(1);
    expect(promSum(m, 'baton_stages_finished_total', { agent: 'noop', outcome: 'succeeded' })).toBe(13);
    expect(promSum(m, 'baton_run_duration_seconds_count')).toBe(5);
    expect(promSum(m, 'baton_run_duration_seconds_bucket', { pipeline: 'demo', status: 'succeeded', le: '+Inf' })).toBe(3);
    expect(promSum(m, 'baton_stage_execution_seconds_count')).toBe(14);
    expect(promSum(m, 'baton_stage_queue_wait_seconds_count')).toBe(14);
    // Buckets are cumulative.
    const buckets = m.filter((s) => s.name === 'baton_stage_execution_seconds_bucket' && s.labels.outcome === 'succeeded').map((s) => s.value);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    expect(promSum(m, 'baton_agents', { agent: 'noop', liveness: 'alive' })).toBe(1);
    expect(promSum(m, 'baton_agents', { agent: 'noop', liveness: 'dead' })).toBe(0);
    expect(promSum(m, 'baton_agent_capacity_slots', { agent: 'noop' })).toBe(4);
    expect(promSum(m, 'baton_runs_current', { status: 'succeeded' })).toBe(4);
    expect(promSum(m, 'baton_queue_jobs', { agent: 'noop', state: 'waiting' })).toBe(0);
    expect(promSum(m, 'baton_redis_ready')).toBe(1);
    expect(promSum(m, 'baton_engine_transitions_total')).toBeGreaterThan(20);
    expect(m.some((s) => s.name === 'baton_http_request_duration_seconds_count' && s.labels.route === '/v1/runs')).toBe(true);
    expect(m.some((s) => s.labels.runId !== undefined || Object.values(s.labels).some((v) => v.startsWith('run_')))).toBe(false);
  });

  it('pass promtool check metrics, on the orchestrator and on an agent metrics port', async ({ skip }) => {
    if (!hasPromtool) skip(NEEDS_PROMETHEUS);
    const h = await stack.harness();
    const port = await freePort();
    const agent = await h.agent(noopAgent, { metricsPort: port, metricsHost: '127.0.0.1' });
    const run = await h.submit({ pipeline: 'demo' });
    await h.waitRun(run.id);
    const orchestrator = promtool(['check', 'metrics'], (await h.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(orchestrator).toEqual({ code: 0, out: '' });
    const agentText = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(promtool(['check', 'metrics'], agentText)).toEqual({ code: 0, out: '' });
    expect(promSum(parsePromText(agentText), 'baton_agent_tasks_total', { agent: 'noop', outcome: 'succeeded' })).toBe(4);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    expect((await h.engine.registry.get(agent.id))?.metricsPort).toBe(port);
  });

  it('are the same through every orchestrator process: no double counting, no gaps', async () => {
    const ns = `obs-${Date.now()}`;
    const a = track(await spawnOrchestrator(stack.redis.url, ns));
    const b = track(await spawnOrchestrator(stack.redis.url, ns));
    track(await spawnAgent(ENTRYPOINTS.noop, stack.redis.url, ns));
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await http<RunView>(i % 2 ? a.url : b.url, 'POST', '/v1/runs', { pipeline: 'demo' })).body.id);
    for (const id of ids) {
      await waitFor(async () => (await http<RunView>(a.url, 'GET', `/v1/runs/${id}`)).body.status === 'succeeded', { what: id });
    }
    for (const o of [a, b]) {
      await waitFor(async () => {
        const m = parsePromText((await http<string>(o.url, 'GET', '/metrics')).body);
        return promSum(m, 'baton_runs_submitted_total') === 7 && promSum(m, 'baton_runs_finished_total', { status: 'succeeded' }) === 7;
      }, { what: 'fleet totals on every process', timeoutMs: 15_000 });
    }
  });
});

describe('alert rules and scrape config', () => {
  it('pass promtool check config, check rules and the rule unit tests', ({ skip }) => {
    if (!hasPromtool) skip(NEEDS_PROMETHEUS);
    expect(promtool(['check', 'config', 'prometheus.yml']).code).toBe(0);
    expect(promtool(['check', 'rules', 'alerts.yml']).code).toBe(0);
    const t = promtool(['test', 'rules', 'alerts.test.yml']);
    expect(t.out).toContain('SUCCESS');
    expect(t.code).toBe(0);
  });
});

describe('a real Prometheus', () => {
  it('scrapes the stack and its run counters equal the runs submitted', async ({ skip }) => {
    if (!hasPrometheus) skip(NEEDS_PROMETHEUS);
    const ns = `prom-${Date.now()}`;
    const orch = track(await spawnOrchestrator(stack.redis.url, ns, { BATON_STAGE_P95_TARGETS: 'noop=30' }));
    const agentMetrics = await freePort();
    track(await spawnAgent(ENTRYPOINTS.noop, stack.redis.url, ns, { BATON_METRICS_PORT: String(agentMetrics), BATON_METRICS_HOST: '127.0.0.1' }));

    const dir = mkdtempSync(join(tmpdir(), 'baton-prom-'));
    stack.defer(async () => rmSync(dir, { recursive: true, force: true }));
    const promPort = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: ['${join(REPO_ROOT, 'deploy/prometheus/alerts.yml')}']`,
        'scrape_configs:',
        `  - { job_name: baton-orchestrator, static_configs: [{ targets: ['127.0.0.1:${orch.port}'] }] }`,
        `  - { job_name: baton-agents, static_configs: [{ targets: ['127.0.0.1:${agentMetrics}'] }] }`,
      ].join('\n'),
    );
    const prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], { stdio: 'ignore' });
    stack.defer(async () => {
      prom.kill('SIGKILL');
      await new Promise((r) => prom.once('exit', r));
    });
    const api = `http://127.0.0.1:${promPort}`;
    await waitFor(async () => (await fetch(`${api}/-/ready`)).ok, { what: 'prometheus ready', timeoutMs: 30_000 });

    const N = 5;
    const ids: string[] = [];
    for (let i = 0; i < N; i++) ids.push((await http<RunView>(orch.url, 'POST', '/v1/runs', { pipeline: 'demo', input: { i } })).body.id);
    for (const id of ids) await waitFor(async () => (await http<RunView>(orch.url, 'GET', `/v1/runs/${id}`)).body.status === 'succeeded', { what: id });

    const query = async (q: string): Promise<number | null> => {
      const body = (await (await fetch(`${api}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { status: string; data: { result: { value: [number, string] }[] } };
      if (body.status !== 'success') throw new Error(`query failed: ${q}`);
      const first = body.data.result[0];
      return first ? Number(first.value[1]) : null;
    };
    await waitFor(async () => (await query('sum(baton_runs_submitted_total)')) === N, { what: `Prometheus sees ${N} submitted runs`, timeoutMs: 30_000 });
    await waitFor(async () => (await query('sum(baton_runs_finished_total{status="succeeded"})')) === N, { what: 'finished runs', timeoutMs: 30_000 });
    await waitFor(async () => (await query('sum(baton_agent_tasks_total{outcome="succeeded"})')) === N * 4, { what: 'agent task counter', timeoutMs: 30_000 });
    expect(await query('up{job="baton-agents"}')).toBe(1);
    await waitFor(async () => (await query('sum(baton_agents{liveness="alive"})')) === 1, { what: 'one alive agent', timeoutMs: 30_000 });

    // The alert rules load and evaluate without errors.
    const rules = (await (await fetch(`${api}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string }[] }[] } };
    const all = rules.data.groups.flatMap((g) => g.rules);
    expect(all.length).toBe((readFileSync(join(REPO_ROOT, 'deploy/prometheus/alerts.yml'), 'utf8').match(/^\s+- alert: /gm) ?? []).length);
    expect(all.length).toBeGreaterThanOrEqual(8);
    await waitFor(async () => {
      const r = (await (await fetch(`${api}/api/v1/rules`)).json()) as typeof rules;
      return r.data.groups.flatMap((g) => g.rules).every((x) => x.health === 'ok');
    }, { what: 'rules healthy' });

    // Every dashboard query is valid PromQL against live data.
    const dash = JSON.parse(readFileSync(join(REPO_ROOT, 'deploy/grafana/dashboards/baton.json'), 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
    for (const expr of dash.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr)) {
      const res = (await (await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as { status: string; error?: string };
      expect({ expr, status: res.status, error: res.error }).toEqual({ expr, status: 'success', error: undefined });
    }
  });
});

describe('logs', () => {
  it('carry a request id per request, job fields on every job line, and redact secrets', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const log = createLogger({ name: 'obs', level: 'info', pretty: false, redact: ['*.customerToken'] }, sink);
    const ns = `logs-${Date.now()}`;
    const orch = await startOrchestrator({ redis: { url: stack.redis.url, namespace: ns }, log: log.child({ name: 'orchestrator' }), engine: FAST_ENGINE, auth: { ...DEFAULT_AUTH, mode: 'disabled' } });
    stack.defer(() => orch.close());
    const agent = await startAgent(noopAgent, { redis: { url: stack.redis.url, namespace: ns }, keys: keys(ns), log, heartbeatMs: 200 });
    stack.defer(() => agent.stop());

    const res = await orch.app.inject({ method: 'POST', url: '/v1/runs', headers: { 'content-type': 'application/json', authorization: 'Bearer sekret-value', 'x-request-id': 'req-abc' }, payload: JSON.stringify({ pipeline: 'demo' }) });
    expect(res.headers['x-request-id']).toBe('req-abc');
    const run = JSON.parse(res.body) as RunView;
    await waitFor(async () => (await orch.engine.get(run.id))?.status === 'succeeded', { what: 'run done' });
    log.info({ payload: { customerToken: 'tok-123' }, apiKey: 'k-456', req: { headers: { authorization: 'Bearer sekret-value' } } }, 'custom secret');

    const requestLines = lines.filter((l) => l.msg === 'incoming request' || l.msg === 'request completed');
    expect(requestLines.filter((l) => l.reqId === 'req-abc')).toHaveLength(2);
    const jobLines = lines.filter((l) => l.msg === 'task started' || l.msg === 'task succeeded');
    expect(jobLines.length).toBe(8);
    for (const l of jobLines) {
      expect(l).toMatchObject({ runId: run.id, agent: 'noop', attempt: 1 });
      expect(typeof l.stage).toBe('string');
      expect(String(l.jobId)).toMatch(new RegExp(`^${run.id}\\.`));
    }
    const all = JSON.stringify(lines);
    expect(all).not.toContain('sekret-value');
    expect(all).not.toContain('tok-123');
    expect(all).not.toContain('k-456');
    expect(all).toContain('[redacted]');
  });
});
