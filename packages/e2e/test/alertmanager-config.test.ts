import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CONFIG = 'deploy/alertmanager/alertmanager.yml';
const hasAmtool = spawnSync('amtool', ['--version']).status === 0;

function amtool(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('amtool', args, { cwd: REPO_ROOT, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('the shipped Alertmanager configuration', () => {
  it('passes amtool check-config', ({ skip }) => {
    if (!hasAmtool) skip('amtool (Debian prometheus-alertmanager) is not installed');
    const r = amtool('check-config', CONFIG);
    expect(r.out).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('routes every severity used by the Prometheus rules to its receiver', ({ skip }) => {
    if (!hasAmtool) skip('amtool (Debian prometheus-alertmanager) is not installed');
    const rules = parse(readFileSync(`${REPO_ROOT}deploy/prometheus/alerts.yml`, 'utf8')) as {
      groups: { rules: { labels?: { severity?: string } }[] }[];
    };
    const severities = new Set(rules.groups.flatMap((g) => g.rules.map((r) => r.labels?.severity ?? '')));
    expect([...severities].sort()).toEqual(['page', 'warn']);
    const routeOf = (severity: string) =>
      amtool('config', 'routes', 'test', `--config.file=${CONFIG}`, `severity=${severity}`, 'alertname=RunsFailing')
        .out.split('\n')
        .filter((line) => line !== '' && !line.startsWith('Warning'));
    expect(routeOf('page')).toEqual(['on-call']);
    expect(routeOf('warn')).toEqual(['team']);
  });

  it('is the Alertmanager Prometheus sends to', () => {
    const prom = parse(readFileSync(`${REPO_ROOT}deploy/prometheus/prometheus.yml`, 'utf8')) as {
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    };
    expect(prom.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((c) => c.targets))).toEqual([
      'alertmanager:9093',
    ]);
  });
});
