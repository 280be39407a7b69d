/**
 * Attack (issue 14, finding 11): an HTTP check whose regex backtracks exponentially, `(a+)+$`,
 * against a long body of "a"s ending in "b". With a backtracking engine the e2e agent's event loop
 * blocks for ever; with RE2 the check fails in linear time and the agent keeps serving. The app
 * also streams an endless body: the agent reads at most 1 MiB of it.
 */
import type { E2eOutput } from '@baton/contracts';
import { useTestStack } from '@baton/testing';
import { describe, expect, it } from 'vitest';
import { bareRepo, describeRun, scratch, stageOf, startSdlcAgents } from '../sdlc-support.js';

const stack = useTestStack();

const APP = {
  'package.json': JSON.stringify({ name: 'redos', version: '1.0.0', private: true, scripts: { start: 'node server.js' } }),
  'server.js': [
    "const http = require('node:http');",
    'http.createServer((req, res) => {',
    "  if (req.url === '/endless') { res.writeHead(200); const chunk = 'x'.repeat(64 * 1024); const more = () => { while (res.write(chunk)); }; res.on('drain', more); more(); return; }",
    "  res.writeHead(200); res.end('a'.repeat(40000) + 'b');",
    "}).listen(Number(process.env.PORT), process.env.HOST);",
    '',
  ].join('\n'),
};

describe('attack: a catastrophic regex and an endless body', () => {
  it('the checks fail cleanly and the agent stays responsive; a legitimate regex still passes', async () => {
    const h = await stack.harness();
    const root = scratch(stack, 'attack-redos');
    await startSdlcAgents(stack, h, root, ['e2e']);
    const repo = bareRepo(root, 'redos', APP);
    const checks = [
      { name: 'redos', path: '/', expectBody: { regex: '(a+)+$' } },
      { name: 'endless', path: '/endless', expectBody: { contains: 'never there' } },
      { name: 'legit', path: '/', expectBody: { regex: '^a+b$' } },
    ];
    const input = { repository: { url: repo.url, branch: 'main' }, checks, browser: { mode: 'off' }, checkTimeoutMs: 30_000 };
    const run = await h.waitRun((await h.submit({ definition: { stages: [{ name: 'e2e', agent: 'e2e', input }] } })).id, undefined, 150_000);
    expect(run.status, describeRun(run)).toBe('failed');
    const out = stageOf(run, 'e2e').output as E2eOutput | null;
    const checksOut = out?.checks ?? (stageOf(run, 'e2e').error?.details as { checks?: E2eOutput['checks'] } | undefined)?.checks;
    expect(checksOut?.map((c) => [c.name, c.status]), describeRun(run)).toEqual([
      ['redos', 'failed'],
      ['endless', 'failed'],
      ['legit', 'passed'],
    ]);
    expect(checksOut?.[0]?.reason).toMatch(/does not match/);
    expect(checksOut?.[1]?.reason).toMatch(/does not contain/); // read up to the cap, not until the timeout
  }, 200_000);
});
