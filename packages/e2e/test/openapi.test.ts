import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { API_ERRORS, type ApiErrorCode } from '@baton/contracts';
import { ApiError, registerErrorHandling, registerRouteRules, requirementFor, schemaExamples } from '@baton/orchestrator';
import { REPO_ROOT, useTestStack } from '@baton/testing';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';

const stack = useTestStack();
const require = createRequire(import.meta.url);

type Operation = {
  operationId?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  'x-baton-role'?: string;
  responses: Record<string, { content?: Record<string, { schema: { properties?: { error?: { properties?: { code?: { enum?: string[] } } } } } }> }>;
};
type Doc = { openapi: string; servers?: unknown[]; tags: { name: string; description?: string }[]; paths: Record<string, Record<string, Operation>> };

async function liveDocument(): Promise<Doc> {
  const h = await stack.harness();
  const res = await h.request<Doc>('GET', '/docs/json');
  expect(res.status).toBe(200);
  return res.body;
}

function operations(doc: Doc): { method: string; path: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), path, op })));
}

/** `/v1/runs/{id}` → `/v1/runs/:id` (the permission table's form). */
const template = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

/** Runs the real @redocly/cli (pinned in packages/e2e) on a document, with the repository's redocly.yaml. */
async function redoclyLint(doc: unknown): Promise<{ totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string; location: { pointer?: string }[] }[] }> {
  const pkg = require.resolve('@redocly/cli/package.json');
  const bin = (JSON.parse(readFileSync(pkg, 'utf8')) as { bin: Record<string, string> }).bin.redocly!;
  const dir = mkdtempSync(join(tmpdir(), 'baton-openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, [join(dirname(pkg), bin), 'lint', file, '--config', join(REPO_ROOT, 'redocly.yaml'), '--format', 'json'], {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      maxBuffer: 16 * 1024 * 1024,
    }).catch((e: { stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? '', stderr: e.stderr }));
    return JSON.parse(stdout) as Awaited<ReturnType<typeof redoclyLint>>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the OpenAPI document', () => {
  it('lints with zero errors and zero warnings under Redocly recommended rules', async () => {
    const result = await redoclyLint(await liveDocument());
    const found = result.problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`);
    expect(found).toEqual([]);
    expect(result.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('the linter does find problems: a document without operationIds, 4xx responses and servers fails', async () => {
    const doc = structuredClone(await liveDocument()) as Doc & { servers?: unknown };
    delete doc.servers;
    const op = doc.paths['/v1/runs/{id}']!.get!;
    delete op.operationId;
    op.responses = { 200: op.responses['200']! };
    const result = await redoclyLint(doc);
    expect(result.problems.map((p) => p.ruleId)).toEqual(expect.arrayContaining(['no-empty-servers', 'operation-operationId', 'operation-4xx-response']));
  });

  it('gives every operation an operationId, described tags, error bodies per status and security from the permission table', async () => {
    const doc = await liveDocument();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.tags.every((t) => (t.description ?? '').length > 0)).toBe(true);
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThanOrEqual(32);
    const ids = ops.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ops.length);
    for (const { method, path, op } of ops) {
      const where = `${method} ${path}`;
      expect(op.operationId, where).toMatch(/^[a-z][a-zA-Z0-9]+$/);
      // Security: the least role of the permission table, with the API key or the session cookie.
      const needs = requirementFor(method, template(path));
      expect(op['x-baton-role'], where).toBe(needs);
      expect(op.security, where).toEqual(needs === 'public' ? [] : [{ apiKey: [needs] }, { session: [needs] }]);
      // Errors: at least one 4xx; each error response carries only codes of its own status.
      const errors = Object.entries(op.responses).filter(([s]) => Number(s) >= 400);
      expect(errors.some(([s]) => s.startsWith('4')), where).toBe(true);
      for (const [status, r] of errors) {
        const codes = r.content?.['application/json']?.schema.properties?.error?.properties?.code?.enum;
        if (path === '/ready' && status === '503') continue; // its own body (the failing check)
        expect(codes?.length, `${where} ${status}`).toBeGreaterThan(0);
        for (const c of codes ?? []) expect(API_ERRORS[c as ApiErrorCode]?.status, `${where} ${status} ${c}`).toBe(Number(status));
      }
      if (needs !== 'public') expect(Object.keys(op.responses), where).toContain('401');
    }
    const getRun = doc.paths['/v1/runs/{id}']!.get!;
    expect(getRun.responses['404']!.content!['application/json']!.schema.properties!.error!.properties!.code!.enum).toEqual(['RUN_NOT_FOUND']);
  });

  it('finds nothing wrong with the registered routes', async () => {
    const h = await stack.harness();
    expect(h.app.routeDocs.problems).toEqual([]);
  });

  it('parses every example in the document with its schema', () => {
    const examples = schemaExamples();
    expect(examples.map((e) => e.id)).toEqual(expect.arrayContaining(['RunRequest', 'RunView', 'PipelineDefinition', 'CreateKeyRequest']));
    for (const { id, schema, examples: list } of examples) for (const e of list) expect(schema.safeParse(e).error?.issues, id).toBeUndefined();
  });
});

describe('the route check', () => {
  const ok = { operationId: 'getThing', tags: ['runs'], summary: 'A thing', response: { 200: { type: 'object' } }, errors: ['NOT_FOUND'] as ApiErrorCode[] };

  it('names each route registered without an operationId, errors, a known tag or a 2xx response', async () => {
    const app = Fastify();
    registerRouteRules(app);
    const handler = async () => ({});
    app.get('/v1/a', { schema: ok }, handler);
    app.get('/v1/b', { schema: { ...ok, operationId: undefined } }, handler);
    app.get('/v1/c', { schema: { ...ok, operationId: 'getThing' } }, handler);
    app.get('/v1/d', { schema: { ...ok, operationId: 'getD', errors: undefined } }, handler);
    app.get('/v1/e', { schema: { ...ok, operationId: 'getE', tags: ['things'], errors: ['NO_SUCH_CODE' as ApiErrorCode] } }, handler);
    app.get('/v1/f', { schema: { ...ok, operationId: 'getF', response: { 404: { type: 'object' } } } }, handler);
    app.get('/v1/g', handler);
    app.get('/internal', { schema: { hide: true } as object }, handler);
    await app.ready();
    expect(app.routeDocs.problems).toEqual([
      'GET /v1/b: schema.operationId is missing (a stable camelCase name, e.g. "getRun")',
      'GET /v1/c: operationId "getThing" is already used by GET /v1/a',
      'GET /v1/d: schema.errors is missing (the catalogue codes the route throws; [] when none)',
      'GET /v1/e: tag "things" is not in openapi/tags.ts',
      'GET /v1/e: error code "NO_SUCH_CODE" is not in contracts/errors.ts',
      'GET /v1/f: schema.response declares no 2xx response',
      'GET /v1/g: no schema (document it, or set schema.hide for an internal route)',
    ]);
    await app.close();
  });

  it('in strict mode, answers 500 naming the route when it throws a code its documentation does not list', async () => {
    const app = Fastify();
    registerRouteRules(app);
    registerErrorHandling(app, { strictDocs: true });
    app.get('/v1/listed', { schema: ok }, async () => {
      throw new ApiError('NOT_FOUND');
    });
    app.get('/v1/unlisted', { schema: { ...ok, operationId: 'getOther' } }, async () => {
      throw new ApiError('INVALID_STATE');
    });
    const listed = await app.inject({ method: 'GET', url: '/v1/listed' });
    expect(listed.statusCode).toBe(404);
    const unlisted = await app.inject({ method: 'GET', url: '/v1/unlisted' });
    expect(unlisted.statusCode).toBe(500);
    expect(unlisted.json()).toMatchObject({ error: { code: 'INTERNAL', message: expect.stringContaining("GET /v1/unlisted answered INVALID_STATE, which its OpenAPI documentation does not list") } });
    await app.close();
  });
});
