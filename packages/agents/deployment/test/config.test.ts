import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { deploymentConfigFromEnv, startSpec } from '../src/index.js';

describe('deployment configuration', () => {
  it('keeps PM2 under the data dir, or under the temp dir when that is too deep for its sockets', () => {
    expect(deploymentConfigFromEnv({ BATON_DATA_DIR: '/srv/baton' }).pm2Home).toBe('/srv/baton/pm2');
    const deep = `/home/someone/${'projects/'.repeat(12)}app/.baton/data`;
    const a = deploymentConfigFromEnv({ BATON_DATA_DIR: deep }).pm2Home;
    expect(a.startsWith(tmpdir())).toBe(true);
    expect(deploymentConfigFromEnv({ BATON_DATA_DIR: deep }).pm2Home).toBe(a); // stable
    expect(() => deploymentConfigFromEnv({ BATON_PM2_HOME: `${deep}/pm2` })).toThrow(/too long for PM2/);
  });

  it('takes only allowlisted variables and BATON_SECRET_* from the environment', () => {
    const c = deploymentConfigFromEnv({ PATH: '/bin', REDIS_PASSWORD: 'x', BATON_SECRET_API: 'y', DOCKER_HOST: 'tcp://d:2375' });
    expect(c.childEnv).toEqual({ PATH: '/bin' });
    expect(c.secrets).toEqual({ BATON_SECRET_API: 'y' });
    expect(c.dockerEnv).toEqual({ DOCKER_HOST: 'tcp://d:2375' });
  });
});

describe('startSpec', () => {
  it('runs `node <script>` as a Node script and anything else through the shell', () => {
    expect(startSpec('node dist/server.js --port=3000')).toEqual({ command: 'node dist/server.js --port=3000', script: 'dist/server.js', args: ['--port=3000'], kind: 'node' });
    expect(startSpec('npm run serve && echo done')).toEqual({ command: 'npm run serve && echo done', script: '/bin/sh', args: ['-c', 'npm run serve && echo done'], kind: 'shell' });
  });
});
