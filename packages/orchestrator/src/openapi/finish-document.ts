import type { OpenAPIV3_1 } from 'openapi-types';

const REF = '#/components/schemas/';

function refsIn(value: unknown, out: Set<string>): void {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(REF)) out.add(v.slice(REF.length));
      else refsIn(v, out);
    }
  }
}

type Operation = { requestBody?: { required?: boolean; content?: Record<string, { schema?: { anyOf?: object[] } }> } };

/**
 * A body schema that admits null (`CancelRequest.nullish()`: the body may be left out) becomes an
 * optional request body of the non-null schema; @fastify/swagger marks every body required.
 */
function optionalBodies(paths: OpenAPIV3_1.PathsObject): void {
  for (const item of Object.values(paths)) {
    for (const op of Object.values(item ?? {}) as Operation[]) {
      for (const media of Object.values(op?.requestBody?.content ?? {})) {
        const anyOf = media.schema?.anyOf;
        const rest = anyOf?.filter((s) => (s as { type?: string }).type !== 'null');
        if (!anyOf || !rest || rest.length !== anyOf.length - 1) continue;
        media.schema = rest.length === 1 ? rest[0]! : { anyOf: rest };
        op.requestBody!.required = false;
      }
    }
  }
}

/**
 * Completes the generated document: optional bodies (above), and only the component schemas the
 * operations reach. The zod registry yields an input and an
 * output variant of every named schema (`RunRequestInput`, `RunView`); most are used one way only.
 */
export function finishDocument(doc: OpenAPIV3_1.Document): OpenAPIV3_1.Document {
  optionalBodies(doc.paths ?? {});
  const schemas = doc.components?.schemas ?? {};
  const used = new Set<string>();
  refsIn(doc.paths, used);
  const queue = [...used];
  while (queue.length > 0) {
    const found = new Set<string>();
    refsIn(schemas[queue.pop()!], found);
    for (const id of found) {
      if (used.has(id)) continue;
      used.add(id);
      queue.push(id);
    }
  }
  const kept = Object.fromEntries(Object.entries(schemas).filter(([id]) => used.has(id)).sort(([a], [b]) => a.localeCompare(b)));
  return { ...doc, components: { ...doc.components, schemas: kept } };
}
