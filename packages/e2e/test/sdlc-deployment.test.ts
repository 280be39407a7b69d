import { existsSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { DeploymentOutput, StageLogPage } from '@baton/contracts';
import { useTestStack } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { bareRepo, commitFiles, describeRun, scratch, stageOf, startSdlcAgents } from './sdlc-support.js';

const stack = useTestStack();

/** A dependency-free service whose /health answers `status` and names the release it runs. */
function service(status: number): Record<string, string> {
  return {
    'package.json': JSON.stringify({ name: 'svc', version: '1.0.0', private: true, scripts: { start: 'node server.js' } }),
    'server.js': [
      "const http = require('node:http');",
      `const STATUS = ${status};`,
      'http',
      '  .createServer((req, res) => {',
      "    res.writeHead(req.url === '/health' ? STATUS : 200, { 'content-type': 'application/json' });",
      '    res.end(JSON.stringify({ release: process.env.BATON_RELEASE, status: STATUS }));',
      '  })',
      "  .listen(Number(process.env.PORT), process.env.HOST || '127.0.0.1');",
      '',
    ].join('\n'),
  };
}

const deployStage = (input: Record<string, unknown>) => ({ definition: { stages: [{ name: 'deploy', agent: 'deployment', input }] } });

describe('deployment', () => {
  it('rolls an unhealthy release back automatically; the previous release keeps serving', async () => {
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-deploy');
    const agents = await startSdlcAgents(stack, h, root, ['deployment']);
    const repo = bareRepo(root, 'svc', service(200));
    const input = { repository: { url: repo.url, branch: 'main' }, app: 'svc', healthTimeoutMs: 3000, keepReleases: 2 };

    const first = await h.waitRun((await h.submit(deployStage(input))).id, undefined, 60_000);
    expect(first.status, describeRun(first)).toBe('succeeded');
    const good = stageOf(first, 'deploy').output as DeploymentOutput;
    expect(good).toMatchObject({ target: 'local', app: 'svc', rolledBack: false, previousRelease: null, health: { ok: true, status: 200 } });
    expect(good.activeRelease).toBe(good.releaseId);
    expect(await (await fetch(`${good.url}/health`)).json()).toEqual({ release: good.releaseId, status: 200 });
    const appRoot = join(agents.dataDir, 'releases', 'svc');
    expect(readlinkSync(join(appRoot, 'current'))).toBe(join('releases', good.releaseId));

    // A release whose health check answers 500.
    const badSha = commitFiles(root, repo, 'main', service(500), 'break /health');
    const second = await h.waitRun((await h.submit(deployStage(input))).id, undefined, 60_000);
    expect(second.status, describeRun(second)).toBe('failed');
    const error = stageOf(second, 'deploy').error!;
    expect(error.code).toBe('DEPLOY_ROLLED_BACK');
    expect(error.retryable).toBe(false);
    expect(error.details).toMatchObject({ releaseId: badSha, rolledBack: true, previousRelease: good.releaseId, activeRelease: good.releaseId, health: { ok: false, status: 500 } });
    expect(error.message).toContain('failed its health check');
    // The previous release serves again, from the same URL.
    expect(await (await fetch(`${good.url}/health`)).json()).toEqual({ release: good.releaseId, status: 200 });
    expect(readlinkSync(join(appRoot, 'current'))).toBe(join('releases', good.releaseId));

    // failOnRollback: false reports the rollback as a successful stage (the release is reused, not rebuilt).
    const third = await h.waitRun((await h.submit(deployStage({ ...input, failOnRollback: false }))).id, undefined, 60_000);
    expect(third.status, describeRun(third)).toBe('succeeded');
    const out = stageOf(third, 'deploy').output as DeploymentOutput;
    expect(out).toMatchObject({ rolledBack: true, activeRelease: good.releaseId, releaseId: badSha });
    expect(out.steps).toEqual([expect.objectContaining({ name: 'build', status: 'skipped' })]);
    expect(out.releases.sort()).toEqual([good.releaseId, badSha].sort());

    // A third healthy release: the oldest beyond keepReleases (2) is pruned, never the active one.
    const fixed = commitFiles(root, repo, 'main', service(200), 'fix /health');
    const fourth = await h.waitRun((await h.submit(deployStage(input))).id, undefined, 60_000);
    expect(fourth.status, describeRun(fourth)).toBe('succeeded');
    const latest = stageOf(fourth, 'deploy').output as DeploymentOutput;
    expect(latest).toMatchObject({ releaseId: fixed, previousRelease: good.releaseId, rolledBack: false });
    expect(await (await fetch(`${latest.url}/health`)).json()).toEqual({ release: fixed, status: 200 });
    expect(latest.releases).toHaveLength(2);
    expect(latest.releases).toContain(fixed);
    expect(latest.releases).toContain(good.releaseId);
    expect(existsSync(join(appRoot, 'releases', badSha))).toBe(false);
  }, 150_000);

  it("writes its steps and its build commands' output to the stage's live log, secrets masked", async () => {
    const TOKEN = 'tok-deploy-5ecr3t-value';
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-deploy-log');
    await startSdlcAgents(stack, h, root, ['deployment'], { BATON_SECRET_DEPLOY_TOKEN: TOKEN });
    const repo = bareRepo(root, 'svc', service(200));
    const build = `printf '\\033[32mbuild ok\\033[0m token=%s\\n' ${TOKEN}`;
    const run = await h.waitRun((await h.submit(deployStage({ repository: { url: repo.url, branch: 'main' }, app: 'svc-log', build, healthTimeoutMs: 3000 }))).id, undefined, 60_000);
    expect(run.status, describeRun(run)).toBe('succeeded');
    const out = stageOf(run, 'deploy').output as DeploymentOutput;
    const page = (await h.request<StageLogPage>('GET', `/v1/runs/${run.id}/stages/deploy/logs/page?limit=1000`)).body;
    const lines = page.items.flatMap((e) => (e.kind === 'lines' ? (e.lines ?? []) : []));
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const started = at(new RegExp(`^deploying svc-log ${out.releaseId.slice(0, 12)} to the local target$`));
    const built = lines.indexOf('\x1b[32mbuild ok\x1b[0m token=[redacted]');
    const healthy = at(new RegExp(`^release ${out.releaseId.slice(0, 12)} is healthy at ${out.url.replace(/[.]/g, '\\.')}$`));
    expect([started >= 0, built > started, healthy > built], lines.join('\n')).toEqual([true, true, true]);
    expect(page.items.at(-1)).toMatchObject({ kind: 'end', detail: 'succeeded' });
    expect(JSON.stringify(await stack.redis.command('XRANGE', h.keys.stageLog(run.id, 'deploy', 1), '-', '+'))).not.toContain(TOKEN);
  }, 120_000);

  it('fails the docker target at once, non-retryably, when no Docker engine is reachable', async () => {
    const h = await stack.harness();
    const root = scratch(stack, 'sdlc-deploy');
    await startSdlcAgents(stack, h, root, ['deployment'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    const repo = bareRepo(root, 'svc', service(200));
    const run = await h.waitRun((await h.submit(deployStage({ repository: { url: repo.url, branch: 'main' }, app: 'svc', target: 'docker' }))).id, undefined, 60_000);
    expect(run.status).toBe('failed');
    expect(stageOf(run, 'deploy').error).toMatchObject({ code: 'DOCKER_UNAVAILABLE', retryable: false });
  }, 60_000);
});
