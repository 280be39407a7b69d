import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, repoWith, scratchDir, validationAgent } from './matrix/support.js';

const root = scratchDir('exit-codes');
afterAll(() => removeDir(root));
const run = validationAgent(join(root, 'work'), join(root, 'data'));
const project = (test: string) => ({ 'package.json': `${JSON.stringify({ name: 'p', version: '1.0.0', private: true, scripts: { test } }, null, 2)}\n` });

describe('the exit code is the primary truth', () => {
  it('passes a test command that exits 0 without counts, with actual null and a warning', async () => {
    const r = await run(repoWith(root, 'silent', project("node -e \"console.log('all good')\"")));
    expect(r.ok, r.ok ? '' : r.message).toBe(true);
    if (!r.ok) return;
    expect(r.output.tests).toBeNull();
    expect(r.output.gates.find((g) => g.check === 'tests.failed == 0')).toEqual({
      check: 'tests.failed == 0',
      severity: 'blocking',
      status: 'passed',
      actual: null,
      warning: 'tests.failed was not reported by the test step (it exited 0), so the gate was not evaluated',
    });
    expect(r.output.warnings).toContain('tests.failed == 0: tests.failed was not reported by the test step (it exited 0), so the gate was not evaluated');
  });

  it('fails one that exits 2 before reporting, with the step error and its last lines', async () => {
    const script = "node -e \"console.error('src/app.ts(3,7): error TS2322: Type string is not assignable to type number.'); process.exit(2)\"";
    const r = await run(repoWith(root, 'tsc-first', project(script)));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('QUALITY_GATE_FAILED');
    expect(r.message).toContain('tests.failed == 0 (test step failed with exit code 2 before reporting results)');
    expect(r.message).toContain('last lines of the test step:');
    expect(r.message).toContain('error TS2322: Type string is not assignable');
    expect(r.details!.steps[3]).toMatchObject({ name: 'test', status: 'failed', exitCode: 2 });
  });

  it('warns when the project wants another Node, and fails when configured to', async () => {
    const files = { ...project('node -e 0'), '.nvmrc': 'v12.22.0\n' };
    const warned = await run(repoWith(root, 'old-node', files));
    expect(warned.ok && warned.output.steps[0]!.warnings).toEqual([`.nvmrc wants Node v12.22.0, the agent runs Node ${process.versions.node}`]);
    const strict = validationAgent(join(root, 'work'), join(root, 'data'), { BATON_NODE_VERSION_CHECK: 'fail' });
    const failed = await strict(repoWith(root, 'old-node-strict', { ...project('node -e 0'), 'package.json': `${JSON.stringify({ name: 'p', private: true, engines: { node: '>=99' }, scripts: { test: 'node -e 0' } })}\n` }));
    expect(failed.ok).toBe(false);
    expect(!failed.ok && [failed.code, failed.message]).toEqual(['NODE_VERSION_MISMATCH', `package.json engines.node wants ">=99", the agent runs Node ${process.versions.node}`]);
  });
});
