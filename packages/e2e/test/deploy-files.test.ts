import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RunView } from '@baton/contracts';
import { ENTRYPOINTS, freePort, REPO_ROOT, spawnBaton, startRedis, testNamespace, useTestStack, waitFor } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const stack = useTestStack();
const run = promisify(execFile);
const hasCompose = spawnSync('docker-compose', ['--version']).status === 0;

interface ComposeService {
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number; resources?: { limits?: { cpus?: number | string; memory?: string } } };
  healthcheck?: { test: string[] };
  environment?: Record<string, string>;
  volumes?: ({ source?: string; target: string } | string)[];
}

describe('docker-compose.production.yml', () => {
  it('is valid for docker-compose and wires Redis, the orchestrator, every agent, Prometheus and Grafana', async ({ skip }) => {
    if (!hasCompose) skip('docker-compose is not installed (Debian package docker-compose); .ci/run installs it');
    const { stdout } = await run('docker-compose', ['-f', 'docker-compose.production.yml', 'config'], {
      cwd: REPO_ROOT,
      env: { ...process.env, REDIS_PASSWORD: 'test-password', GRAFANA_ADMIN_PASSWORD: 'test-admin' },
    });
    const config = parse(stdout) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
    const s = config.services;

    const redis = s.redis!.command!.join(' ');
    expect(redis).toContain('--appendonly yes');
    expect(redis).toContain('--appendfsync everysec');
    expect(redis).toContain('--maxmemory-policy noeviction');
    expect(redis).toContain('--requirepass test-password');
    expect(s.redis!.healthcheck).toBeDefined();

    expect(s.orchestrator!.command).toEqual(['orchestrator']);
    expect(s.orchestrator!.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    expect(s.orchestrator!.environment).toMatchObject({ BATON_REQUIRE_NOEVICTION: 'true', REDIS_PASSWORD: 'test-password' });
    for (const type of ['noop', 'scaffold', 'validation', 'e2e', 'integration', 'deployment']) {
      const a = s[`agent-${type}`]!;
      expect(a.command).toEqual(['agent', type]);
      expect(a.deploy?.replicas).toBeGreaterThanOrEqual(1);
      expect(a.deploy?.resources?.limits?.memory).toBeTruthy();
      expect(a.healthcheck?.test).toBeDefined();
      expect(a.depends_on).toEqual({ redis: { condition: 'service_healthy' }, orchestrator: { condition: 'service_healthy' } });
    }
    expect(Object.keys(config.volumes).sort()).toEqual(['alertmanager-data', 'artifacts', 'grafana-data', 'prometheus-data', 'redis-data']);
    expect(JSON.stringify(s.prometheus!.volumes)).toContain('deploy/prometheus');
    expect(JSON.stringify(s.alertmanager!.volumes)).toContain('deploy/alertmanager');
    expect(JSON.stringify(s.grafana!.volumes)).toContain('deploy/grafana/provisioning');
  });

  it('refuses to render without a Redis password', async ({ skip }) => {
    if (!hasCompose) skip('docker-compose is not installed');
    const env = { ...process.env };
    delete env.REDIS_PASSWORD;
    const r = spawnSync('docker-compose', ['-f', 'docker-compose.production.yml', 'config'], { cwd: REPO_ROOT, env, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('set REDIS_PASSWORD');
  });
});

describe('Dockerfile.production', () => {
  // Building the image needs a Docker engine (none here); these are the invariants the file must keep.
  const text = readFileSync(join(REPO_ROOT, 'Dockerfile.production'), 'utf8');
  it('is multi-stage, ships production dependencies only, runs as non-root under tini with a real health check', () => {
    expect(text.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/pnpm --filter @baton\/server deploy --legacy --prod \/out/);
    expect(text).toMatch(/^USER baton$/m);
    expect(text).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"/m);
    expect(text).toMatch(/^HEALTHCHECK .*healthcheck\.js/m);
    expect(readFileSync(join(REPO_ROOT, 'deploy/docker/healthcheck.js'), 'utf8')).toContain('/health');
    expect(text).toMatch(/apt-get install .*\bgit\b/);
  });
});

describe('the production layout (pnpm deploy --prod)', () => {
  it('has no dev tooling and runs a pipeline with orchestrator, agent and CLI from one entrypoint', async () => {
    const out = mkdtempSync(join(tmpdir(), 'baton-deploy-'));
    stack.defer(async () => rmSync(out, { recursive: true, force: true }));
    rmSync(out, { recursive: true, force: true });
    await run('npx', ['-y', 'pnpm@10', '--filter', '@baton/server', 'deploy', '--legacy', '--prod', out], { cwd: REPO_ROOT, maxBuffer: 20 * 1024 * 1024 });
    const store = readdirSync(join(out, 'node_modules', '.pnpm')).join(' ');
    for (const dev of ['vitest', 'typescript@', 'testcontainers', 'eslint', 'tsx']) expect(store).not.toContain(dev);
    expect(existsSync(join(out, 'dist', 'main.js'))).toBe(true);

    const ns = testNamespace('deploy');
    const port = await freePort();
    const env = { REDIS_URL: stack.redis.url, BATON_NAMESPACE: ns, BATON_PORT: String(port), BATON_HOST: '127.0.0.1', BATON_DATA_DIR: join(out, 'data'), BATON_AUTH: 'disabled' };
    const entry = join(out, 'dist', 'main.js');
    const start = (args: string[]) => {
      const c = spawn(process.execPath, [entry, ...args], { env: { ...process.env, ...env }, stdio: 'ignore' });
      stack.defer(async () => {
        c.kill('SIGKILL');
      });
      return c;
    };
    start(['orchestrator']);
    start(['agent', 'noop']);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/ready`)).ok, { what: 'deployed orchestrator', timeoutMs: 20_000 });
    const { stdout } = await run(process.execPath, [entry, 'cli', '--url', base, '--json', 'run', 'demo', '--follow'], { env: { ...process.env, ...env } });
    expect((JSON.parse(stdout) as RunView).status).toBe('succeeded');
    // The dashboard ships in the same layout (issue 7).
    expect((await fetch(`${base}/ui/runs`)).status).toBe(200);
    expect((await fetch(`${base}/ui/js/main.js`)).status).toBe(200);
    expect((await fetch(`${base}/ui/js/client/index.js`)).status).toBe(200);
    const usage = spawnSync(process.execPath, [entry, 'nonsense'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('usage: baton-server');
    // pnpm deploy copies the workspace's production closure first: slow on a loaded 2-core machine.
  }, 180_000);
});

describe('production start', () => {
  it('refuses to run against a Redis whose eviction policy is not noeviction', async ({ skip }) => {
    if (!stack.redis.controllable) skip('needs a Redis the test controls (REDIS_URL is set)');
    const lru = await startRedis({ args: ['--maxmemory-policy', 'allkeys-lru'] });
    stack.defer(() => lru.stop());
    const p = spawnBaton(ENTRYPOINTS.orchestrator, { REDIS_URL: lru.url, BATON_REQUIRE_NOEVICTION: 'true', BATON_PORT: String(await freePort()) });
    const exit = await p.exited;
    expect(exit.code).toBe(78);
    expect(p.output()).toContain('refusing to start: Redis maxmemory-policy is "allkeys-lru"; Baton needs "noeviction"');
  });

  it('rejects invalid configuration with every problem listed', async () => {
    const p = spawnBaton(ENTRYPOINTS.orchestrator, { BATON_PORT: 'not-a-port', BATON_NAMESPACE: 'Bad Namespace', REDIS_URL: stack.redis.url });
    expect((await p.exited).code).toBe(78);
    expect(p.output()).toContain('invalid configuration');
    expect(p.output()).toContain('BATON_PORT');
    expect(p.output()).toContain('BATON_NAMESPACE');
  });
});
