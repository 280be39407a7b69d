import { z } from 'zod';

/** Deepest nesting accepted in any user-supplied JSON (run input, stage input, outputs). */
export const MAX_JSON_DEPTH = 32;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Checks that a value is plain JSON, at most `maxDepth` deep, without prototype-polluting keys.
 * Iterative on purpose: a recursive walk over attacker-controlled nesting would overflow the stack.
 * Returns the path of the first problem, or null when the value is fine.
 */
export function findJsonProblem(
  value: unknown,
  maxDepth = MAX_JSON_DEPTH,
): { path: (string | number)[]; message: string } | null {
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (path.length > maxDepth) return { path, message: `nested deeper than ${maxDepth} levels` };
    if (v === null || typeof v === 'string' || typeof v === 'boolean') continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return { path, message: 'numbers must be finite' };
      continue;
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ v: item, path: [...path, i] }));
      continue;
    }
    if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      for (const [k, item] of Object.entries(v)) {
        if (FORBIDDEN_KEYS.has(k)) return { path: [...path, k], message: `key "${k}" is not allowed` };
        stack.push({ v: item, path: [...path, k] });
      }
      continue;
    }
    return { path, message: 'not a JSON value' };
  }
  return null;
}

function jsonRefinement(value: unknown, ctx: z.RefinementCtx): void {
  const problem = findJsonProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
}

/** Any JSON value, depth-limited. */
export const JsonValue = z.unknown().superRefine(jsonRefinement) as z.ZodType<JsonValue>;

/** A JSON object (not an array or scalar), depth-limited. */
export const JsonObject = z
  .record(z.string().max(200), z.unknown())
  .superRefine(jsonRefinement) as unknown as z.ZodType<JsonObject>;
