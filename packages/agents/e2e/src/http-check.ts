import type { BodyMatch, CheckResult, HttpCheck, JsonValue } from '@baton/contracts';
import { bodyMatches } from './body-regex.js';
import { readCappedBody } from './capped-body.js';

const MAX_BODY = 1024 * 1024;

/** Whether `actual` contains everything in `expected` (objects: a subset of keys, recursively; arrays and scalars: equal). */
export function jsonIncludes(actual: unknown, expected: JsonValue): boolean {
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => jsonIncludes(actual[i], e));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const obj = actual as Record<string, unknown>;
    return Object.entries(expected).every(([k, v]) => Object.hasOwn(obj, k) && jsonIncludes(obj[k], v));
  }
  return actual === expected;
}

function bodyProblem(body: string, expect: BodyMatch): string | null {
  if (expect.contains !== undefined && !body.includes(expect.contains)) return `body does not contain ${JSON.stringify(expect.contains)}`;
  if (expect.regex !== undefined) {
    const matched = bodyMatches(expect.regex, body);
    if (matched === null) return `expectBody.regex is not a valid RE2 regular expression`;
    if (!matched) return `body does not match /${expect.regex}/`;
  }
  if (expect.json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return 'body is not JSON';
    }
    if (!jsonIncludes(parsed, expect.json)) return `body does not include ${JSON.stringify(expect.json).slice(0, 500)}`;
  }
  return null;
}

/** Sends one declared request to the app and judges the answer. */
export async function runHttpCheck(base: string, check: HttpCheck, timeoutMs: number, signal: AbortSignal): Promise<CheckResult> {
  const name = check.name ?? `${check.method} ${check.path}`;
  const started = Date.now();
  const done = (status: 'passed' | 'failed', httpStatus: number | null, reason?: string): CheckResult => ({
    name,
    method: check.method,
    path: check.path,
    status,
    httpStatus,
    durationMs: Date.now() - started,
    ...(reason ? { reason: reason.slice(0, 2000) } : {}),
  });
  const headers: Record<string, string> = { ...check.headers };
  let body: string | undefined;
  if (check.body !== undefined) {
    body = typeof check.body === 'string' ? check.body : JSON.stringify(check.body);
    if (typeof check.body !== 'string') headers['content-type'] ??= 'application/json';
  }
  try {
    const res = await fetch(`${base}${check.path}`, {
      method: check.method,
      headers,
      ...(body !== undefined ? { body } : {}),
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    const { text } = await readCappedBody(res, MAX_BODY);
    if (res.status !== check.expectStatus) return done('failed', res.status, `expected status ${check.expectStatus}, got ${res.status}; body: ${text.slice(0, 300)}`);
    const problem = check.expectBody ? bodyProblem(text, check.expectBody) : null;
    return problem ? done('failed', res.status, `${problem}; body: ${text.slice(0, 300)}`) : done('passed', res.status);
  } catch (e: unknown) {
    if (signal.aborted) throw e;
    const msg = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
    return done('failed', null, `request failed: ${msg}`);
  }
}
