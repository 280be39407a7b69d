import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countsOf, MANAGERS, RUNNERS, uvuFiles, type Fixture, type Variant } from './fixtures.js';
import { pool, removeDir, repoWith, scratchDir, validationAgent, type Outcome } from './support.js';

/**
 * Every fixture runs under a work root that lies inside another pnpm workspace (as the dev stack's
 * did, inside the Baton checkout): each must still install its own dependencies.
 */
const root = scratchDir('matrix');
const outer = join(root, 'outer');
const results = new Map<string, Outcome>();
const key = (f: Fixture, v: Variant) => `${f.name}/${v}`;

const NESTED_WORKSPACE = (v: Variant) => ({
  'package.json': `${JSON.stringify({ name: 'mono', private: true, packageManager: 'pnpm@10.34.9', scripts: { test: 'pnpm -r test' } }, null, 2)}\n`,
  'pnpm-workspace.yaml': "packages:\n  - 'packages/*'\n",
  ...Object.fromEntries(Object.entries(uvuFiles(v, 'a', 'uvu test')).map(([p, c]) => [`packages/a/${p}`, c])),
});

const SPECIAL: Fixture[] = [{ name: 'pnpm workspace nested in another', source: 'uvu', files: NESTED_WORKSPACE }];

beforeAll(async () => {
  mkdirSync(outer, { recursive: true });
  writeFileSync(join(outer, 'package.json'), '{ "name": "outer", "private": true, "workspaces": ["pkgs/*"] }\n');
  writeFileSync(join(outer, 'pnpm-workspace.yaml'), "packages:\n  - 'pkgs/*'\n");
  const run = validationAgent(join(outer, 'work'), join(root, 'data'));
  const all = [...RUNNERS, ...MANAGERS, ...SPECIAL];
  const job = (f: Fixture, v: Variant) => async () => {
    const url = repoWith(root, `${f.name.replace(/\W+/g, '-')}-${v}`, f.files(v));
    const r = await run(url);
    results.set(key(f, v), r);
    return r;
  };
  const started = Date.now();
  // The passing variants one at a time fill the caches; the failing ones then install from them two at a time.
  await pool(all.map((f) => job(f, 'pass')), 1);
  const warm = Date.now();
  await pool(all.map((f) => job(f, 'fail')), 2);
  const times = [...results.entries()].map(([k, r]) => `${k}: ${(r.ms / 1000).toFixed(1)} s`).join('\n');
  process.stdout.write(`matrix: passing variants ${((warm - started) / 1000).toFixed(0)} s, failing variants ${((Date.now() - warm) / 1000).toFixed(0)} s\n${times}\n`);
}, 1_800_000);

afterAll(() => removeDir(root));

describe.each([...RUNNERS, ...MANAGERS, ...SPECIAL])('$name', (f) => {
  it('passes the passing variant with exact counts', () => {
    const r = results.get(key(f, 'pass'))!;
    expect(r.ok, r.ok ? '' : `${r.code}: ${r.message}`).toBe(true);
    if (!r.ok) return;
    expect(r.output.tests).toMatchObject({ ...countsOf('pass'), source: f.source });
    expect(r.output.tests!.failures).toBeUndefined();
    expect(r.output.gates.find((g) => g.check === 'tests.failed == 0')).toMatchObject({ status: 'passed', actual: 0 });
    if (f.coverage) expect(r.output.coverage?.lines, JSON.stringify(r.output.coverage)).toBeGreaterThan(0);
    // The work root is inside another project: the agent says so.
    expect(r.output.warnings.join('\n')).toContain('inside another project');
  });

  it('fails the failing variant with exact counts and the failing test named', () => {
    const r = results.get(key(f, 'fail'))!;
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code, r.message).toBe('QUALITY_GATE_FAILED');
    expect(r.details!.tests).toMatchObject({ ...countsOf('fail'), source: f.source });
    expect(r.details!.tests!.failures?.[0]?.name, JSON.stringify(r.details!.tests)).toContain('adds again');
    expect(r.message).toContain('adds again');
    expect(r.details!.gates.find((g) => g.check === 'tests.failed == 0')).toMatchObject({ status: 'failed', actual: 1 });
  });
});

describe('package managers', () => {
  it('runs the exact version from packageManager, on the PATH of the scripts', () => {
    const pnpm = results.get('pnpm 9 (packageManager)/pass')!;
    expect(pnpm.ok && pnpm.output.packageManager).toBe('pnpm@9.15.9 (packageManager)');
    expect(pnpm.ok && pnpm.output.steps[0]).toMatchObject({ name: 'install', command: 'pnpm install --no-frozen-lockfile', status: 'passed' });
    const berry = results.get('yarn berry (packageManager)/pass')!;
    expect(berry.ok && berry.output.steps[0]).toMatchObject({ command: 'yarn install --no-immutable', status: 'passed' });
    expect(berry.ok && berry.output.steps[3]).toMatchObject({ command: 'yarn run test', status: 'passed' });
    const classic = results.get('yarn classic (packageManager)/pass')!;
    expect(classic.ok && classic.output.packageManager).toBe('yarn@1.22.22 (packageManager)');
    const npm = results.get('npm/pass')!;
    expect(npm.ok && npm.output.steps[3]).toMatchObject({ command: 'npm run --silent test', status: 'passed' });
  });
});
