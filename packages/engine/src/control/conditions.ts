import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import { upstreamOf, type ApiIssue, type JsonValue, type PipelineDefinition, type StageCondition, type StageError } from '@baton/contracts';
import { stageDef, type RunDoc } from '../run-doc.js';

/**
 * `when` conditions: CEL (https://cel.dev) via @bufbuild/cel — a sandboxed, side-effect-free
 * expression language with a real parser; nothing is ever handed to eval or new Function. An
 * expression sees two variables: `input` (the run input) and `stages` (each upstream stage's
 * `{ output, status }`). Validation rejects syntax errors (with line and column) and references to
 * anything but `input`, upstream stages and macro variables; evaluation records every path it read.
 */

type Expr = ReturnType<typeof parse>['expr'];
type Plan = ReturnType<typeof plan>;

const ROOTS = new Set(['input', 'stages']);
const env = celEnv();
const plans = new Map<string, { paths: string[][]; run: Plan }>();
const MAX_CACHED = 1000;

export type Compiled = { paths: string[][]; run: Plan } | { error: string };

/** A `select`/index chain such as `stages.build.output["x"]`, as its segments, or null. */
function chainOf(e: Expr): string[] | null {
  const k = e.exprKind;
  if (k.case === 'identExpr') return [k.value.name];
  if (k.case === 'selectExpr' && k.value.operand) {
    const base = chainOf(k.value.operand);
    return base ? [...base, k.value.field] : null;
  }
  if (k.case === 'callExpr' && k.value.function === '_[_]' && k.value.args.length === 2) {
    const [target, index] = k.value.args as [Expr, Expr];
    const base = chainOf(target);
    const c = index.exprKind.case === 'constExpr' ? index.exprKind.value.constantKind : null;
    if (!base || !c) return null;
    if (c.case === 'stringValue') return [...base, c.value];
    if (c.case === 'int64Value' || c.case === 'uint64Value') return [...base, String(c.value)];
    return null;
  }
  return null;
}

/** Every path rooted at a free identifier the expression reads (comprehension variables excluded). */
function freePaths(root: Expr): string[][] {
  const found: string[][] = [];
  const visit = (e: Expr | undefined, bound: ReadonlySet<string>): void => {
    if (!e) return;
    const chain = chainOf(e);
    if (chain && !bound.has(chain[0]!)) {
      found.push(chain);
      return;
    }
    const k = e.exprKind;
    switch (k.case) {
      case 'selectExpr':
        return visit(k.value.operand, bound);
      case 'callExpr':
        visit(k.value.target, bound);
        for (const a of k.value.args) visit(a, bound);
        return;
      case 'listExpr':
        for (const el of k.value.elements) visit(el, bound);
        return;
      case 'structExpr':
        for (const en of k.value.entries) {
          if (en.keyKind.case === 'mapKey') visit(en.keyKind.value, bound);
          visit(en.value, bound);
        }
        return;
      case 'comprehensionExpr': {
        const c = k.value;
        visit(c.iterRange, bound);
        visit(c.accuInit, bound);
        const inner = new Set([...bound, c.iterVar, c.iterVar2, c.accuVar].filter((v) => v !== ''));
        visit(c.loopCondition, inner);
        visit(c.loopStep, inner);
        visit(c.result, inner);
        return;
      }
      default:
        return;
    }
  };
  visit(root, new Set());
  return found;
}

/** Parses and plans an expression once (cached by its text). */
export function compileWhen(expression: string): Compiled {
  const hit = plans.get(expression);
  if (hit) return hit;
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(expression);
  } catch (e: unknown) {
    const loc = (e as { location?: { start?: { line: number; column: number } } }).location?.start;
    const raw = (e as { rawMessage?: string }).rawMessage ?? (e instanceof Error ? e.message : String(e));
    return { error: loc ? `CEL syntax error at line ${loc.line}, column ${loc.column}: ${raw}` : `CEL syntax error: ${raw}` };
  }
  let run: Plan;
  try {
    run = plan(env, parsed);
  } catch (e: unknown) {
    return { error: `CEL error: ${e instanceof Error ? e.message : String(e)}` };
  }
  const compiled = { paths: freePaths(parsed.expr), run };
  if (plans.size >= MAX_CACHED) plans.clear();
  plans.set(expression, compiled);
  return compiled;
}

/** Problems with every stage's `when`: syntax (with position), unknown variables, non-upstream stages. */
export function validateConditions(def: PipelineDefinition): ApiIssue[] {
  const issues: ApiIssue[] = [];
  const names = new Set(def.stages.map((s) => s.name));
  def.stages.forEach((s, i) => {
    if (s.when === undefined) return;
    const path = ['stages', i, 'when'];
    const c = compileWhen(s.when);
    if ('error' in c) {
      issues.push({ path, message: c.error });
      return;
    }
    const upstream = upstreamOf(def, s.name);
    for (const p of c.paths) {
      const [root, stage] = p;
      if (!ROOTS.has(root!)) issues.push({ path, message: `unknown variable "${root}"; a condition reads "input" and "stages.<upstream stage>"` });
      else if (root === 'stages' && stage === undefined) issues.push({ path, message: 'read a stage by name: "stages.<stage>.output" or "stages.<stage>.status"' });
      else if (root === 'stages' && !names.has(stage!)) issues.push({ path, message: `references unknown stage "${stage}"` });
      else if (root === 'stages' && !upstream.has(stage!)) issues.push({ path, message: `references stage "${stage}", which "${s.name}" does not depend on` });
    }
  });
  return issues;
}

function walk(v: unknown, path: string[]): JsonValue {
  let cur = v;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return null;
    cur = Array.isArray(cur) ? cur[Number(seg)] : Object.hasOwn(cur, seg) ? (cur as Record<string, unknown>)[seg] : undefined;
  }
  return (cur ?? null) as JsonValue;
}

export type WhenResult = { condition: StageCondition } | { error: StageError };

/** Evaluates a ready stage's `when` against the run input and its upstream stages. */
export function evaluateWhen(doc: RunDoc, stage: string): WhenResult {
  const expression = stageDef(doc, stage).when!;
  const c = compileWhen(expression);
  const fail = (message: string, details: Record<string, unknown> = {}): WhenResult => ({
    error: { code: 'CONDITION_FAILED', message: `when of stage "${stage}": ${message}`, retryable: false, details: { expression, ...details } },
  });
  if ('error' in c) return fail(c.error);
  const stages: Record<string, { output: JsonValue; status: string }> = {};
  for (const name of upstreamOf(doc.definition, stage)) {
    const st = doc.stages[name]!;
    stages[name] = { output: st.output ?? null, status: st.status };
  }
  const bindings = { input: doc.input, stages };
  const values: Record<string, JsonValue> = {};
  for (const p of c.paths) values[p.join('.')] = walk(bindings, p);
  const result = c.run(bindings as never);
  if (isCelError(result)) return fail(result.message, { values });
  if (typeof result !== 'boolean') return fail(`evaluated to ${typeof result}, not a boolean`, { values });
  return { condition: { expression, result, values } };
}
