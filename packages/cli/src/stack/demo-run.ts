import { ensureDemoRepository } from './demo-repo.js';

const DEMO_PROJECT = 'hello-baton';

/** The run `baton up --demo` submits (the README's first command): sdlc on a local repository it creates under the data dir. */
export function demoRun(dataDir: string) {
  return {
    pipeline: 'sdlc',
    input: { name: DEMO_PROJECT, template: 'ts-http-service', repository: ensureDemoRepository(dataDir, DEMO_PROJECT), targetBranch: 'main' },
    labels: { source: 'baton-up' },
  };
}
