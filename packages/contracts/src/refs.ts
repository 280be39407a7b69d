import type { JsonValue } from './json.js';

/** A parsed `$from` reference. */
export type InputRef =
  | { source: 'input'; path: string[] }
  | { source: 'stage'; stage: string; path: string[] }
  /** The current item of a fan-out stage (`item`, `item.a.b`). */
  | { source: 'item'; path: string[] };

const SEGMENT = /^[A-Za-z0-9_-]{1,100}$/;

/** Parses `input.a.b` or `stages.<name>.output.a.b`; returns an error message when malformed. */
export function parseRef(ref: string): InputRef | { error: string } {
  const parts = ref.split('.');
  if (parts.some((p) => !SEGMENT.test(p))) return { error: `"${ref}" has an empty or invalid segment` };
  if (parts[0] === 'input') return { source: 'input', path: parts.slice(1) };
  if (parts[0] === 'item') return { source: 'item', path: parts.slice(1) };
  if (parts[0] === 'stages' && parts.length >= 3 && parts[2] === 'output') {
    return { source: 'stage', stage: parts[1]!, path: parts.slice(3) };
  }
  return { error: `"${ref}" must start with "input", "item" or "stages.<stage>.output"` };
}

export function isRefObject(v: unknown): v is { $from: string; default?: JsonValue } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.includes('$from') && keys.every((k) => k === '$from' || k === 'default');
}

/** Every `$from` in a stage input, with its location. Iterative: input depth is bounded elsewhere. */
export function collectRefs(input: JsonValue): { at: (string | number)[]; ref: unknown }[] {
  const found: { at: (string | number)[]; ref: unknown }[] = [];
  const stack: { v: JsonValue; at: (string | number)[] }[] = [{ v: input, at: [] }];
  while (stack.length > 0) {
    const { v, at } = stack.pop()!;
    if (isRefObject(v)) {
      found.push({ at, ref: v.$from });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ v: item, at: [...at, i] }));
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, item] of Object.entries(v)) stack.push({ v: item, at: [...at, k] });
    }
  }
  return found;
}

function walk(value: JsonValue | undefined, path: string[]): JsonValue | undefined {
  let cur: JsonValue | undefined = value;
  for (const seg of path) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) ? cur[Number(seg)] : Object.hasOwn(cur, seg) ? cur[seg] : undefined;
  }
  return cur;
}

export interface ResolveContext {
  input: JsonValue;
  outputs: Record<string, JsonValue | undefined>;
  /** The current item, in a fan-out stage (undefined elsewhere: `item` references resolve to nothing). */
  item?: JsonValue;
}

/** What a `$from` path points at in the run input, the fan-out item or an upstream output (undefined: nothing). */
export function refTarget(from: string, ctx: ResolveContext): JsonValue | undefined {
  const ref = parseRef(from);
  if ('error' in ref) return undefined;
  if (ref.source === 'input') return walk(ctx.input, ref.path);
  if (ref.source === 'item') return walk(ctx.item, ref.path);
  return walk(ctx.outputs[ref.stage], ref.path);
}

/**
 * Replaces every `$from` object with the value it points at (or its `default`). A reference that
 * resolves to nothing and has no default is reported in `missing`; its key is dropped from objects
 * (and becomes null in arrays) so the agent's input schema decides whether that is acceptable.
 */
export function resolveRefs(template: JsonValue, ctx: ResolveContext): { value: JsonValue; missing: string[] } {
  const missing: string[] = [];
  const resolveOne = (v: JsonValue): JsonValue | undefined => {
    if (isRefObject(v)) {
      const got = refTarget(v.$from, ctx);
      if (got === undefined) {
        if (v.default !== undefined) return v.default;
        missing.push(v.$from);
      }
      return got;
    }
    if (Array.isArray(v)) return v.map((item) => resolveOne(item) ?? null);
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, JsonValue> = {};
      for (const [k, item] of Object.entries(v)) {
        const r = resolveOne(item);
        if (r !== undefined) out[k] = r;
      }
      return out;
    }
    return v;
  };
  return { value: resolveOne(template) ?? null, missing };
}
