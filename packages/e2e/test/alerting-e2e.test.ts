import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, REPO_ROOT, spawnOrchestrator, testNamespace, useTestStack, waitFor } from '@baton/testing';
import { describe, expect, it } from 'vitest';

const stack = useTestStack();
const has = (bin: string) => spawnSync(bin, ['--version']).status === 0;
const MISSING = 'needs the Debian packages "prometheus" and "prometheus-alertmanager" (binaries prometheus, prometheus-alertmanager); .ci/run installs them';

interface AlertmanagerPost {
  receiver: string;
  status: string;
  alerts: { status: string; labels: Record<string, string> }[];
}

function daemon(bin: string, args: string[]) {
  const p = spawn(bin, args, { stdio: 'ignore' });
  stack.defer(async () => {
    if (p.exitCode === null) p.kill('SIGKILL');
    await new Promise((r) => (p.exitCode === null ? p.once('exit', r) : r(null)));
  });
  return p;
}

describe('alerting end to end', () => {
  it('a real Prometheus evaluating the shipped rules fires on a real stack, and the shipped Alertmanager routes it to the webhook receiver', async ({ skip }) => {
    if (!has('prometheus') || !has('prometheus-alertmanager')) skip(MISSING);
    const dir = mkdtempSync(join(tmpdir(), 'baton-alerting-'));
    stack.defer(async () => rmSync(dir, { recursive: true, force: true }));

    // The local webhook receiver (the shipped config's on-call and team receivers point here).
    const got: { path: string; body: AlertmanagerPost }[] = [];
    const rx = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        got.push({ path: req.url ?? '', body: JSON.parse(body) as AlertmanagerPost });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
    stack.defer(async () => {
      rx.closeAllConnections();
      await new Promise((r) => rx.close(r));
    });
    const rxBase = `http://127.0.0.1:${(rx.address() as AddressInfo).port}`;

    // The shipped Alertmanager configuration, with the receivers' host replaced and a short group wait.
    const amConfig = readFileSync(join(REPO_ROOT, 'deploy/alertmanager/alertmanager.yml'), 'utf8').replaceAll('http://alert-webhook:5001', rxBase).replace(/group_wait: \S+/, 'group_wait: 1s');
    expect(amConfig).toContain(rxBase);
    writeFileSync(join(dir, 'alertmanager.yml'), amConfig);
    const amPort = await freePort();
    daemon('prometheus-alertmanager', [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'am')}`, `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address=', '--log.level=warn']);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${amPort}/-/ready`).catch(() => null))?.ok === true, { what: 'alertmanager ready', timeoutMs: 30_000 });

    // The shipped rules, their `for:` holds zeroed (the rules themselves unchanged) so the test need not wait minutes.
    const rules = readFileSync(join(REPO_ROOT, 'deploy/prometheus/alerts.yml'), 'utf8').replace(/for: \d+[smh]/g, 'for: 0s');
    writeFileSync(join(dir, 'alerts.yml'), rules);
    const ns = testNamespace();
    const orch = await spawnOrchestrator(stack.redis.target, ns, { LOG_LEVEL: 'warn' });
    stack.defer(() => orch.kill('SIGKILL'));
    const promPort = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: ['${join(dir, 'alerts.yml')}']`,
        `alerting: { alertmanagers: [{ static_configs: [{ targets: ['127.0.0.1:${amPort}'] }] }] }`,
        'scrape_configs:',
        `  - { job_name: baton-orchestrator, scrape_timeout: 900ms, static_configs: [{ targets: ['127.0.0.1:${orch.port}'] }] }`,
      ].join('\n'),
    );
    expect(spawnSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')]).status).toBe(0);
    daemon('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn']);
    const api = `http://127.0.0.1:${promPort}`;
    await waitFor(async () => (await fetch(`${api}/-/ready`).catch(() => null))?.ok === true, { what: 'prometheus ready', timeoutMs: 30_000 });
    const up = async () => {
      const body = (await (await fetch(`${api}/api/v1/query?query=${encodeURIComponent('up{job="baton-orchestrator"}')}`)).json()) as { data: { result: { value: [number, string] }[] } };
      return body.data.result[0]?.value[1];
    };
    await waitFor(async () => (await up()) === '1', { what: 'the orchestrator scraped', timeoutMs: 30_000 });
    expect(got).toEqual([]);

    // The stack loses its orchestrator: BatonOrchestratorDown (severity page) fires and is routed to on-call.
    await orch.kill('SIGKILL');
    const page = await waitFor(() => got.find((g) => g.body.alerts.some((a) => a.labels.alertname === 'BatonOrchestratorDown' && a.status === 'firing')), { what: 'the page at the receiver', timeoutMs: 90_000, intervalMs: 200 });
    expect(page.path).toBe('/page');
    expect(page.body.receiver).toBe('on-call');
    expect(page.body.alerts.find((a) => a.labels.alertname === 'BatonOrchestratorDown')!.labels.severity).toBe('page');
  }, 180_000);
});
