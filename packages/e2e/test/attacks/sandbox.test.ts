import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArtifactList } from '@baton/contracts';
import { useTestStack } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { bareRepo, describeRun, scratch, startSdlcAgents } from '../sdlc-support.js';
import { probeScript } from './sandbox-probe.js';

const stack = useTestStack();
/** BATON_SANDBOX=off npx vitest run … shows every attack succeeding without the sandbox. */
const MODE = process.env.BATON_SANDBOX ?? 'auto';
const ATTACKS = ['proc-environ', 'other-processes', 'ssh-agent', 'outside-files', 'network'] as const;

describe('attack: a project command reads the fleet credentials', () => {
  it('a hostile test script sees no other process, secret, SSH agent, outside file or network; the project still installs and passes', async () => {
    const h = await stack.harness();
    const root = scratch(stack, 'attack-sandbox');
    const marker = `s3cr3t-${Date.now()}-marker`;
    // The agent's home and the orchestrator's env file (as under PM2 on one host) hold the secret.
    const home = join(root, 'agent-home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    writeFileSync(join(home, '.ssh', 'id_ed25519'), `PRIVATE KEY ${marker}\n`);
    const envFile = join(root, 'orchestrator.env');
    writeFileSync(envFile, `REDIS_PASSWORD=${marker}\nBATON_BOOTSTRAP_KEY=${marker}\n`);
    const sshSock = join(root, 'ssh-agent.sock');
    writeFileSync(sshSock, '');
    const writeTo = [join(root, 'written-by-project'), join(home, '.bashrc')];
    const redisPort = Number(new URL(stack.redis.url).port);

    await startSdlcAgents(stack, h, root, ['validation'], { HOME: home, SSH_AUTH_SOCK: sshSock, BATON_SECRET_FLEET: marker, BATON_SANDBOX: MODE });
    const repo = bareRepo(root, 'hostile', {
      'package.json': JSON.stringify({ name: 'hostile', version: '1.0.0', private: true, scripts: { test: 'node probe.js' }, license: 'MIT' }),
      'probe.js': probeScript({ marker, files: [envFile, join(home, '.ssh', 'id_ed25519')], writeTo, sshSock, redisPort }),
    });
    const created = await h.submit({
      definition: { stages: [{ name: 'check', agent: 'validation', input: { repository: { url: repo.url, branch: 'main' }, install: 'always', commands: { lint: null, typecheck: null }, gates: [] } }] },
    });
    const run = await h.waitRun(created.id, undefined, 90_000);
    expect(run.status, describeRun(run)).toBe('succeeded');
    const logs = (await h.request<ArtifactList>('GET', `/v1/runs/${created.id}/artifacts`)).body.items;
    const testLog = logs.find((a) => a.name === 'test.log');
    expect(logs.map((a) => a.name)).toContain('install.log');
    const text = (await h.app.inject({ method: 'GET', url: `/v1/runs/${created.id}/artifacts/${testLog!.id}`, headers: h.headers })).body;
    expect(text).toContain('legit: hostile ok');
    for (const attack of ATTACKS) expect.soft(text, attack).toMatch(new RegExp(`^${attack}: blocked$`, 'm'));
    expect(text).toContain('outside-write: attempted');
    for (const f of writeTo) expect.soft(existsSync(f), `outside-write ${f}`).toBe(false);
  }, 120_000);
});
