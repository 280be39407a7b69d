import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { useTestStack } from '@baton/testing';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const stack = useTestStack();

/**
 * A small program against the types openapi-typescript generates from the live document: it calls
 * routes as a generated client would, and checks that what the server sends (typed by the zod
 * contracts) fits the document and that requests built from the document fit what the server takes.
 */
const PROGRAM = `
import type * as C from '@baton/contracts';
import type { components, operations } from './schema.js';

type Json<Op extends keyof operations, S extends keyof operations[Op]['responses']> = operations[Op]['responses'][S] extends { content: { 'application/json': infer B } } ? B : never;
type Body<Op extends keyof operations> = NonNullable<operations[Op]['requestBody']> extends { content: { 'application/json': infer B } } ? B : never;
type Assignable<A, B> = [A] extends [B] ? true : false;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

// What the server sends fits the document.
export const responses = [
  true satisfies Assignable<C.RunView, Json<'submitRun', 202>>,
  true satisfies Assignable<C.RunView, Json<'getRun', 200>>,
  true satisfies Assignable<C.RunList, Json<'listRuns', 200>>,
  true satisfies Assignable<C.RunView, Json<'cancelRun', 200>>,
  true satisfies Assignable<C.ArtifactList, Json<'listRunArtifacts', 200>>,
  true satisfies Assignable<C.PipelineList, Json<'listPipelines', 200>>,
  true satisfies Assignable<C.PipelineView, Json<'putPipeline', 201>>,
  true satisfies Assignable<C.AgentList, Json<'listAgents', 200>>,
  true satisfies Assignable<C.AgentCommandAccepted, Json<'drainAgent', 202>>,
  true satisfies Assignable<C.FleetDrain, Json<'drainFleet', 202>>,
  true satisfies Assignable<C.QueueList, Json<'listQueues', 200>>,
  true satisfies Assignable<C.QueueThroughput, Json<'getQueueThroughput', 200>>,
  true satisfies Assignable<C.Overview, Json<'getOverview', 200>>,
  true satisfies Assignable<C.ApiKeyList, Json<'listApiKeys', 200>>,
  true satisfies Assignable<C.CreatedKey, Json<'createApiKey', 201>>,
  true satisfies Assignable<C.AuditList, Json<'listAuditEntries', 200>>,
  true satisfies Assignable<C.Whoami, Json<'whoami', 200>>,
  true satisfies Assignable<C.SessionCreated, Json<'createSession', 201>>,
  true satisfies Assignable<C.Health, Json<'getHealth', 200>>,
  true satisfies Assignable<C.Ready, Json<'getReadiness', 503>>,
  // Bodies without free-form JSON are the same type both ways.
  true satisfies Same<C.QueueView, Json<'pauseQueue', 200>>,
  true satisfies Same<C.FleetDrain, Json<'getFleetDrain', 200>>,
  true satisfies Same<C.ApiKeyView, Json<'revokeApiKey', 200>>,
  true satisfies Same<C.Whoami, components['schemas']['Whoami']>,
];

// A request built from the document is one the server takes.
export const requests = [
  true satisfies Assignable<Body<'submitRun'>, C.RunRequestInput>,
  true satisfies Assignable<Body<'putPipeline'>, C.PipelineDefinitionInput>,
  true satisfies Assignable<Body<'createApiKey'>, C.CreateKeyRequest>,
  true satisfies Assignable<Body<'cancelRun'>, C.CancelRequest>,
  true satisfies Assignable<Body<'retryRun'>, C.RetryRequest>,
];

// Error bodies: the codes of each response, from the catalogue.
export const errors = [
  true satisfies Same<Json<'getRun', 404>['error']['code'], 'RUN_NOT_FOUND'>,
  true satisfies Same<Json<'submitRun', 409>['error']['code'], 'IDEMPOTENCY_CONFLICT'>,
  true satisfies Same<Json<'submitRun', 503>['error']['code'], 'REDIS_UNAVAILABLE' | 'REDIS_OUT_OF_MEMORY'>,
  true satisfies Assignable<Json<'putPipeline', 400>['error']['code'], C.ApiErrorCode>,
];

// A generated client in use.
async function call<B>(method: string, path: string, body?: unknown): Promise<B> {
  const res = await fetch(\`http://127.0.0.1:3000\${path}\`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await res.json()) as B;
}
export async function example(): Promise<string> {
  const request: Body<'submitRun'> = { pipeline: 'sdlc', input: { name: 'hello' }, labels: { team: 'a' } };
  const run = await call<Json<'submitRun', 202>>('POST', '/v1/runs', request);
  const stage: components['schemas']['StageView'] | undefined = run.stages[0];
  const status: 'queued' | 'running' | 'waiting' | 'paused' | 'succeeded' | 'failed' | 'cancelled' = run.status;
  const page = await call<Json<'listRuns', 200>>('GET', '/v1/runs?limit=10');
  return \`\${status} \${stage?.status ?? ''} \${page.nextCursor ?? ''}\`;
}
`;

const E2E = fileURLToPath(new URL('../', import.meta.url));

/** Generates `schema.d.ts` from `doc` next to `program`, type-checks them, and returns the diagnostics. */
async function typeCheck(doc: unknown, program: string): Promise<string[]> {
  // Inside packages/e2e, so `@baton/contracts` resolves (to its built declarations).
  const dir = join(E2E, `.openapi-check-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir);
  try {
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
    writeFileSync(join(dir, 'schema.d.ts'), astToString(await openapiTS(doc as Parameters<typeof openapiTS>[0])));
    writeFileSync(join(dir, 'program.ts'), program);
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
      types: [],
      skipLibCheck: true,
      noUncheckedIndexedAccess: true,
    };
    const p = ts.createProgram([join(dir, 'program.ts')], options);
    return ts.getPreEmitDiagnostics(p).map((d) => `${d.file ? `${d.file.fileName.slice(dir.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1} ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('a client generated from the live document (openapi-typescript)', () => {
  it('type-checks a program that uses it against the contracts', async () => {
    const h = await stack.harness();
    const doc = (await h.request('GET', '/docs/json')).body;
    expect(await typeCheck(doc, PROGRAM)).toEqual([]);
  });

  it('fails when the document drifts from the server, or the program misuses it', async () => {
    const h = await stack.harness();
    const doc = (await h.request('GET', '/docs/json')).body as { components: { schemas: Record<string, { properties: Record<string, unknown>; required: string[] }> } };
    // The document says a run's `status` is called `state`: the contracts' RunView no longer fits.
    const drifted = structuredClone(doc);
    const view = drifted.components.schemas.RunView!;
    view.properties.state = view.properties.status;
    delete view.properties.status;
    view.required = view.required.map((k) => (k === 'status' ? 'state' : k));
    expect((await typeCheck(drifted, PROGRAM)).join('\n')).toContain('program.ts');
    const misuse = `${PROGRAM}\nexport const wrong: Json<'getRun', 404>['error']['code'] = 'INVALID_STATE';\n`;
    expect((await typeCheck(doc, misuse)).some((d) => d.includes('INVALID_STATE'))).toBe(true);
  });
});
