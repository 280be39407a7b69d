/**
 * Attack (issue 14, finding 7): a project's test prints the agent's secret exactly where the output
 * cap cuts the log in two, and its base64 form in the kept end, hoping that the halves (and the
 * encoded form) slip past redaction into the saved step log.
 */
import { randomBytes } from 'node:crypto';
import type { ArtifactList } from '@baton/contracts';
import { useTestStack } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { bareRepo, describeRun, scratch, startSdlcAgents } from '../sdlc-support.js';

const stack = useTestStack();

describe('attack: a secret split by the output cap', () => {
  it('no piece of the secret, nor its base64 form, reaches any artifact; the log is still kept', async () => {
    const secret = `tok${randomBytes(20).toString('hex')}`;
    const h = await stack.harness();
    const root = scratch(stack, 'attack-split');
    await startSdlcAgents(stack, h, root, ['validation'], { BATON_SECRET_DEPLOY_TOKEN: secret, BATON_STEP_OUTPUT_MAX_BYTES: '1024' });
    // The head keeps 512 bytes: 492 bytes of filler put the cut 20 characters into the secret.
    // (The project knows the value, as a project that prints its configuration would.)
    const script = [
      `const s = ${JSON.stringify(secret)};`,
      "process.stdout.write('.'.repeat(492) + s + '-'.repeat(5000));",
      "process.stdout.write('\\nencoded: ' + Buffer.from('x' + s).toString('base64') + '\\nTESTS DONE\\n');",
    ].join(' ');
    const repo = bareRepo(root, 'leaky', {
      'package.json': JSON.stringify({ name: 'leaky', version: '1.0.0', private: true }),
      'leak.js': `${script}\n`,
    });
    const input = { repository: { url: repo.url, branch: 'main' }, install: 'never', commands: { typecheck: null, lint: null, test: 'node leak.js' }, gates: [] };
    const run = await h.waitRun((await h.submit({ definition: { stages: [{ name: 'validation', agent: 'validation', input }] } })).id, undefined, 90_000);
    expect(['succeeded', 'failed'], describeRun(run)).toContain(run.status);

    const list = (await h.request('GET', `/v1/runs/${run.id}/artifacts`)).body as ArtifactList;
    const texts: string[] = [];
    for (const a of list.items) texts.push((await h.app.inject({ method: 'GET', url: `/v1/runs/${run.id}/artifacts/${a.id}`, headers: h.headers })).payload);
    const all = texts.join('\n=====\n');
    expect(all).toContain('TESTS DONE'); // the legitimate log is there
    expect(all).toContain('bytes omitted');
    const b64 = Buffer.from(`x${secret}`).toString('base64');
    for (let i = 0; i + 8 <= secret.length; i++) expect(all, 'a piece of the secret').not.toContain(secret.slice(i, i + 8));
    expect(all, 'the base64 form').not.toContain(b64.slice(4, 40));
    expect(JSON.stringify(run)).not.toContain(secret.slice(0, 16));
  }, 120_000);
});
