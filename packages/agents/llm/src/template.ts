import type { JsonValue } from '@baton/contracts';
import { NonRetryableError } from '@baton/runtime';

const PLACEHOLDER = /\{\{\s*([a-zA-Z_][\w-]*(?:\.[\w-]+)*)\s*\}\}/g;

function lookup(vars: Record<string, JsonValue>, path: string): JsonValue | undefined {
  let cur: JsonValue | undefined = vars;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) ? cur[Number(part)] : (cur as Record<string, JsonValue>)[part];
  }
  return cur;
}

/** Fills `{{name}}` and `{{name.path}}` placeholders (strings as they are, anything else as JSON); a missing one fails the stage. */
export function renderTemplate(template: string, vars: Record<string, JsonValue>): string {
  const missing: string[] = [];
  const out = template.replace(PLACEHOLDER, (_m, path: string) => {
    const v = lookup(vars, path);
    if (v === undefined) {
      missing.push(path);
      return '';
    }
    return typeof v === 'string' ? v : JSON.stringify(v, null, 2);
  });
  if (missing.length > 0) throw new NonRetryableError('TEMPLATE_VARIABLE_MISSING', `the prompt uses variables the stage input does not give: ${[...new Set(missing)].join(', ')}`, { missing });
  return out;
}
