import {
  AgentCommandAccepted,
  AgentList,
  AgentView,
  API_ERRORS,
  ApiErrorBody,
  ApiIssue,
  ApiKeyList,
  ApiKeyView,
  ArtifactList,
  ArtifactMeta,
  AuditEntry,
  AuditList,
  ConcurrencySpec,
  CreatedKey,
  CreateKeyRequest,
  FleetDrain,
  ForEachSpec,
  ForEachView,
  Health,
  JsonObject,
  JsonValue,
  PipelineDefinition,
  PipelineList,
  PipelineView,
  QueueList,
  QueueThroughput,
  Overview,
  QueueView,
  Ready,
  RunList,
  RunRequest,
  RunSummary,
  RunView,
  SessionCreated,
  StageDefinition,
  StageError,
  StageView,
  Whoami,
  type ApiErrorCode,
} from '@baton/contracts';
import { z } from 'zod';
import { createdKeyExample, createKeyRequestExample, pipelineDefinitionExample, pipelineViewExample, runListExample, runRequestExample, runViewExample } from './examples.js';

/** Metadata of a named schema (what fastify-type-provider-zod reads from a registry). */
export type SchemaRegistryMeta = { id?: string; [key: string]: unknown };

/**
 * The error envelope as documented: `code` is one of the catalogue's (each response narrows it
 * to its own), and both levels are open to new fields, which clients must ignore.
 */
export const ApiErrorDoc = z.looseObject({
  error: z.looseObject({ ...ApiErrorBody.shape.error.shape, code: z.enum(Object.keys(API_ERRORS) as [ApiErrorCode, ...ApiErrorCode[]]) }),
  requestId: z.string().optional(),
});

/** One SSE `data:` payload of GET /v1/runs/:id/events is a RunEvent; the stream itself is text. */
export const EventStream = z.string();
/** Artifact content: bytes of the artifact's own content type (a stream, so not serialized by a schema). */
export const Binary = z.unknown();

/**
 * The named schemas of the document (`components.schemas`): every contract used by a route is
 * referenced by name instead of being inlined, so generated clients get one type per contract.
 * Kept here, not in contracts, so contracts stay free of documentation concerns.
 */
export const apiSchemas = z.registry<SchemaRegistryMeta>();

const named: [z.ZodType, SchemaRegistryMeta][] = [
  [ApiErrorDoc, { id: 'ApiError', description: 'The body of every 4xx/5xx response. Branch on `error.code` (contracts/errors.ts), never on the message.' }],
  [ApiIssue, { id: 'ApiIssue', description: 'One problem with the request: where (`path`, e.g. `["body","stages",0,"agent"]`) and what.' }],
  [JsonValue, { id: 'JsonValue', description: 'Any JSON value (at most 32 levels deep).' }],
  [JsonObject, { id: 'JsonObject', description: 'A JSON object (at most 32 levels deep).' }],
  [StageError, { id: 'StageError' }],
  [ForEachSpec, { id: 'ForEachSpec', description: 'Dynamic fan-out: the stage runs once per item of the list `$from` resolves to; its output is the list of item outputs, in order.' }],
  [ConcurrencySpec, { id: 'ConcurrencySpec', description: 'A concurrency key: at most `limit` runs hold the resolved key value at once (a pipeline key for the whole run, a stage key while the stage runs).' }],
  [ForEachView, { id: 'ForEachView', description: "A fan-out stage's items: counts, one state character per item, and the failed items." }],
  [StageDefinition, { id: 'StageDefinition' }],
  [PipelineDefinition, { id: 'PipelineDefinition', examples: [pipelineDefinitionExample] }],
  [PipelineView, { id: 'PipelineView', examples: [pipelineViewExample] }],
  [PipelineList, { id: 'PipelineList' }],
  [RunRequest, { id: 'RunRequest', description: 'A run of a registered pipeline (`pipeline`, optionally `version`) or of an inline `definition`.', examples: [runRequestExample] }],
  [StageView, { id: 'StageView' }],
  [RunView, { id: 'RunView', examples: [runViewExample] }],
  [RunSummary, { id: 'RunSummary' }],
  [RunList, { id: 'RunList', description: 'A page of runs, newest first; pass `nextCursor` back as `cursor` (null on the last page).', examples: [runListExample] }],
  [ArtifactMeta, { id: 'ArtifactMeta' }],
  [ArtifactList, { id: 'ArtifactList' }],
  [AgentView, { id: 'AgentView' }],
  [AgentList, { id: 'AgentList' }],
  [AgentCommandAccepted, { id: 'AgentCommandAccepted' }],
  [FleetDrain, { id: 'FleetDrain' }],
  [QueueView, { id: 'QueueView' }],
  [QueueList, { id: 'QueueList' }],
  [QueueThroughput, { id: 'QueueThroughput' }],
  [Overview, { id: 'Overview', description: 'Per-minute series of the overview page; every array has one entry per minute of `minutes`.' }],
  [ApiKeyView, { id: 'ApiKeyView' }],
  [ApiKeyList, { id: 'ApiKeyList' }],
  [CreateKeyRequest, { id: 'CreateKeyRequest', examples: [createKeyRequestExample] }],
  [CreatedKey, { id: 'CreatedKey', description: 'A new API key: `key` is its secret, shown only in this response.', examples: [createdKeyExample] }],
  [AuditEntry, { id: 'AuditEntry' }],
  [AuditList, { id: 'AuditList' }],
  [Whoami, { id: 'Whoami' }],
  [Health, { id: 'Health' }],
  [Ready, { id: 'Ready', description: 'Readiness: every check (Redis reachable, eviction policy) with its outcome.' }],
  [SessionCreated, { id: 'SessionCreated' }],
  [EventStream, { description: 'A text/event-stream: `id:`, `event:` and `data:` lines per event (see the operation).' }],
  [Binary, { type: 'string', format: 'binary' }],
];
for (const [schema, meta] of named) apiSchemas.add(schema, meta);

/** Documents a schema that is not a component (e.g. a header) with a description; returns it. */
export function described<T extends z.ZodType>(schema: T, description: string): T {
  apiSchemas.add(schema, { description });
  return schema;
}


/** The registered schemas that carry examples (a test parses every example with its schema). */
export function schemaExamples(): { id: string; schema: z.ZodType; examples: unknown[] }[] {
  return named.filter(([, m]) => Array.isArray(m.examples)).map(([schema, m]) => ({ id: String(m.id), schema, examples: m.examples as unknown[] }));
}

/** A response without a body (204). */
export const NoContent = z.undefined();

/** Headers of a route that takes an `Idempotency-Key` (printable ASCII, at most 255 characters); `what` says what a repeat does. */
export function idempotencyKeyHeaders(what: string) {
  return z.looseObject({
    'idempotency-key': described(
      z
        .string()
        .min(1)
        .max(255)
        .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
        .optional(),
      what,
    ),
  });
}
