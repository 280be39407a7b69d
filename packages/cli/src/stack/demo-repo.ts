import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const GIT_IDENTITY = { GIT_AUTHOR_NAME: 'Baton demo', GIT_AUTHOR_EMAIL: 'demo@baton.local', GIT_COMMITTER_NAME: 'Baton demo', GIT_COMMITTER_EMAIL: 'demo@baton.local' };

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync('git', ['-c', 'init.defaultBranch=main', ...args], { cwd, env: { ...process.env, ...GIT_IDENTITY }, encoding: 'utf8' });
  if (r.error) throw new Error(`the demo needs git on PATH: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`git ${args[0]} failed while creating the demo repository: ${r.stderr.trim()}`);
}

/**
 * The repository the demo's `sdlc` run works on: a bare git repository under the dev stack's data
 * dir (`<data dir>/data/demo/<name>.git`) whose `main` holds one commit with a README. Created on
 * first use, reused afterwards (each demo run merges into its main). Returns its file:// URL.
 */
export function ensureDemoRepository(dataDir: string, name: string): string {
  const dir = join(resolve(dataDir), 'data', 'demo', `${name}.git`);
  if (!existsSync(join(dir, 'HEAD'))) {
    mkdirSync(dir, { recursive: true });
    git(dir, 'init', '-q', '--bare');
    const work = mkdtempSync(join(dir, '..', `.${name}-init-`));
    try {
      git(work, 'init', '-q');
      writeFileSync(join(work, 'README.md'), `# ${name}\n\nA repository created by \`baton up --demo\`. The demo's sdlc run scaffolds a service here,\nvalidates it, tests it end to end, merges it into main and deploys it.\n`);
      git(work, 'add', 'README.md');
      git(work, 'commit', '-q', '-m', 'Initial commit');
      git(work, 'push', '-q', dir, 'HEAD:refs/heads/main');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  return pathToFileURL(dir).href;
}
