import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { OpenAPIV3_1 } from 'openapi-types';
import { requirementFor } from '../auth/permissions.js';
import { SESSION_COOKIE } from '../auth/session-store.js';
import { BATON_VERSION } from '@baton/contracts';
import { apiSchemas } from './components.js';
import { errorResponses } from './error-responses.js';
import { documentedErrors } from './route-rules.js';
import { TAGS } from './tags.js';
import { finishDocument } from './finish-document.js';

const zodTransform = createJsonSchemaTransform({ schemaRegistry: apiSchemas });
const zodTransformObject = createJsonSchemaTransformObject({ schemaRegistry: apiSchemas });

const SECURITY_SCHEMES: Record<string, OpenAPIV3_1.SecuritySchemeObject> = {
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key (`bk_<id>_<secret>`) in `Authorization: Bearer <key>` (or `X-API-Key: <key>`). Create keys with `POST /v1/keys` or `baton keys create`.',
  },
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description:
      'The dashboard session cookie from `POST /v1/session` (HttpOnly, SameSite=Strict). Requests that change something through it must come from the orchestrator\'s own origin.',
  },
};

/** Who may call a route, as OpenAPI 3.1 security requirements: the least role (or a higher one) with either scheme. */
function security(method: string, url: string): { security: { [scheme: string]: string[] }[]; 'x-baton-role': string } {
  const needs = requirementFor(method, url);
  if (needs === 'public') return { security: [], 'x-baton-role': 'public' };
  return { security: [{ apiKey: [needs] }, { session: [needs] }], 'x-baton-role': needs };
}

const STATUS_TEXT: Record<string, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No content', 503: 'Service unavailable' };

/** A success response without its own description gets the status text (instead of "Default Response"). */
function describeResponses(response: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(response).map(([status, r]) => {
      const given = r as { description?: string; content?: unknown };
      if (given.description || !STATUS_TEXT[status]) return [status, r];
      return [status, { ...given, description: STATUS_TEXT[status] }];
    }),
  );
}

/**
 * The OpenAPI 3.1 document at /docs/json (UI at /docs), built from the routes' zod schemas and
 * completed from the route table: error responses from each route's `schema.errors` and its shape
 * (openapi/error-responses.ts), security from the permission table, tags from openapi/tags.ts.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Baton orchestrator',
        version: BATON_VERSION,
        description: 'Submit and operate pipeline runs. Errors are `ApiError` bodies with a code from the catalogue; 503 answers carry `Retry-After`.',
      },
      servers: [{ url: '/', description: 'This orchestrator (the document is served by every instance)' }],
      tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    transform: (arg) => {
      const out = zodTransform(arg);
      const schema = out.schema as Record<string, unknown> & { hide?: boolean; response?: Record<string, unknown> };
      if (schema.hide) return out;
      const method = (Array.isArray(arg.route.method) ? arg.route.method[0] : arg.route.method) as string;
      const codes = arg.route.config?.documentedErrors ?? documentedErrors(arg.route, method);
      delete schema.errors;
      const eventData = schema['x-baton-event-data'];
      if (eventData instanceof z.ZodType) {
        const { $schema: _dialect, ...json } = z.toJSONSchema(eventData, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' });
        schema['x-baton-event-data'] = json;
      }
      const response = describeResponses(schema.response ?? {});
      Object.assign(schema, security(method, arg.route.url), { response: { ...response, ...errorResponses(codes, new Set(Object.keys(response))) } });
      return out;
    },
    transformObject: (arg) => finishDocument(zodTransformObject(arg) as OpenAPIV3_1.Document),
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}
