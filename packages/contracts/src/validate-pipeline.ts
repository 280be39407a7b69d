import { APPROVAL_AGENT, messageRefs } from './approval.js';
import { signalSchema } from './signal.js';
import type { ApiIssue } from './errors.js';
import type { PipelineDefinition } from './pipeline.js';
import { keyPlaceholders, type ConcurrencySpec } from './concurrency.js';
import { collectRefs, parseRef } from './refs.js';

/** The references a concurrency key uses, with where they are. */
function keyRefs(spec: ConcurrencySpec, at: (string | number)[]): { path: (string | number)[]; ref: unknown }[] {
  if (typeof spec.key !== 'string') return [{ path: [...at, 'key', '$from'], ref: spec.key.$from }];
  return keyPlaceholders(spec.key).map((ref) => ({ path: [...at, 'key'], ref }));
}

/** Names of stages in dependency order (every stage after all it depends on). Assumes no cycles. */
export function topologicalOrder(def: PipelineDefinition): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const byName = new Map(def.stages.map((s) => [s.name, s]));
  const visit = (name: string): void => {
    if (done.has(name)) return;
    done.add(name);
    for (const dep of byName.get(name)?.dependsOn ?? []) visit(dep);
    order.push(name);
  };
  for (const s of def.stages) visit(s.name);
  return order;
}

/** All stages `name` depends on, directly or not. */
export function upstreamOf(def: PipelineDefinition, name: string): Set<string> {
  const byName = new Map(def.stages.map((s) => [s.name, s]));
  const seen = new Set<string>();
  const stack = [...(byName.get(name)?.dependsOn ?? [])];
  while (stack.length > 0) {
    const cur = stack.pop()!;
    if (seen.has(cur)) continue;
    seen.add(cur);
    stack.push(...(byName.get(cur)?.dependsOn ?? []));
  }
  return seen;
}

/** All stages that depend on `name`, directly or not. */
export function downstreamOf(def: PipelineDefinition, name: string): Set<string> {
  const seen = new Set<string>();
  const stack = [name];
  while (stack.length > 0) {
    const cur = stack.pop()!;
    for (const s of def.stages) {
      if (s.dependsOn.includes(cur) && !seen.has(s.name)) {
        seen.add(s.name);
        stack.push(s.name);
      }
    }
  }
  return seen;
}

function findCycle(def: PipelineDefinition): string[] | null {
  const byName = new Map(def.stages.map((s) => [s.name, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | null => {
    const st = state.get(name);
    if (st === 'done') return null;
    if (st === 'visiting') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'visiting');
    path.push(name);
    for (const dep of byName.get(name)?.dependsOn ?? []) {
      if (!byName.has(dep)) continue;
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(name, 'done');
    return null;
  };
  for (const s of def.stages) {
    const cycle = visit(s.name);
    if (cycle) return cycle;
  }
  return null;
}

/**
 * Semantic checks a schema cannot express. Returns issues with precise paths; empty when the
 * definition can run. `knownAgents` is every agent type the deployment knows about.
 */
export function validatePipeline(def: PipelineDefinition, knownAgents: ReadonlySet<string>): ApiIssue[] {
  const issues: ApiIssue[] = [];
  const names = new Map<string, number>();
  def.stages.forEach((s, i) => {
    if (names.has(s.name)) {
      issues.push({ path: ['stages', i, 'name'], message: `duplicate stage name "${s.name}" (also stages[${names.get(s.name)}])` });
    } else {
      names.set(s.name, i);
    }
    if (s.approval !== undefined && s.waitFor !== undefined) {
      issues.push({ path: ['stages', i, 'waitFor'], message: 'a stage is an approval or waits for a signal, not both' });
    } else if (s.approval !== undefined || s.waitFor !== undefined || s.agent === APPROVAL_AGENT) {
      const kind = s.approval !== undefined ? 'approval' : 'waitFor';
      if (s.approval === undefined && s.waitFor === undefined) {
        issues.push({ path: ['stages', i, 'agent'], message: `give the stage an "agent" (or make it an approval stage with "approval", or a signal stage with "waitFor")` });
      } else if (s.agent !== APPROVAL_AGENT) issues.push({ path: ['stages', i, kind], message: `a${kind === 'approval' ? 'n approval' : ' signal'} stage takes no "agent" (it has "${s.agent}")` });
      if (s.waitFor?.schema !== undefined) {
        const compiled = signalSchema(s.waitFor.schema);
        if ('error' in compiled) issues.push({ path: ['stages', i, 'waitFor', 'schema'], message: `not a JSON Schema zod can check: ${compiled.error}` });
      }
    } else if (!knownAgents.has(s.agent)) {
      const known = [...knownAgents].sort().join(', ') || 'none';
      issues.push({ path: ['stages', i, 'agent'], message: `unknown agent type "${s.agent}"; known types: ${known}` });
    }
  });
  def.stages.forEach((s, i) => {
    const seen = new Set<string>();
    s.dependsOn.forEach((dep, j) => {
      const at = ['stages', i, 'dependsOn', j];
      if (dep === s.name) issues.push({ path: at, message: `stage "${s.name}" depends on itself` });
      else if (!names.has(dep)) issues.push({ path: at, message: `depends on unknown stage "${dep}"` });
      if (seen.has(dep)) issues.push({ path: at, message: `"${dep}" is listed twice` });
      seen.add(dep);
    });
  });
  if (issues.length > 0) return issues;

  const cycle = findCycle(def);
  if (cycle) {
    const i = names.get(cycle[0]!)!;
    issues.push({ path: ['stages', i, 'dependsOn'], message: `dependency cycle: ${cycle.join(' -> ')}` });
    return issues;
  }

  def.stages.forEach((s, i) => {
    const upstream = upstreamOf(def, s.name);
    const refs: { path: (string | number)[]; ref: unknown; itemAllowed: boolean }[] = collectRefs(s.input).map(({ at, ref }) => ({
      path: ['stages', i, 'input', ...at, '$from'],
      ref,
      itemAllowed: s.forEach !== undefined,
    }));
    if (s.concurrency !== undefined) for (const r of keyRefs(s.concurrency, ['stages', i, 'concurrency'])) refs.push({ ...r, itemAllowed: false });
    if (s.forEach !== undefined) {
      refs.push({ path: ['stages', i, 'forEach', '$from'], ref: s.forEach.$from, itemAllowed: false });
      if (s.approval !== undefined) issues.push({ path: ['stages', i, 'forEach'], message: 'an approval stage cannot fan out' });
    }
    for (const { path, ref, itemAllowed } of refs) {
      if (typeof ref !== 'string') {
        issues.push({ path, message: '$from must be a string' });
        continue;
      }
      const parsed = parseRef(ref);
      if ('error' in parsed) issues.push({ path, message: parsed.error });
      else if (parsed.source === 'item' && !itemAllowed) {
        issues.push({
          path,
          message: s.forEach === undefined ? `"${ref}" refers to the current item, but stage "${s.name}" has no forEach` : `forEach.$from cannot refer to the item it produces`,
        });
      } else if (parsed.source === 'stage' && !names.has(parsed.stage)) {
        issues.push({ path, message: `references unknown stage "${parsed.stage}"` });
      } else if (parsed.source === 'stage' && !upstream.has(parsed.stage)) {
        issues.push({ path, message: `references stage "${parsed.stage}", which "${s.name}" does not depend on` });
      }
    }
    for (const ref of s.approval ? messageRefs(s.approval.message) : []) {
      const path = ['stages', i, 'approval', 'message'];
      const parsed = parseRef(ref);
      if ('error' in parsed) issues.push({ path, message: `{{ ${ref} }}: ${parsed.error}` });
      else if (parsed.source === 'stage' && !upstream.has(parsed.stage)) {
        issues.push({ path, message: `{{ ${ref} }} references stage "${parsed.stage}", which "${s.name}" does not depend on` });
      }
    }
  });
  if (def.concurrency !== undefined) {
    for (const { path, ref } of keyRefs(def.concurrency, ['concurrency'])) {
      const parsed = typeof ref === 'string' ? parseRef(ref) : { error: '$from must be a string' };
      if ('error' in parsed) issues.push({ path, message: parsed.error });
      else if (parsed.source !== 'input') issues.push({ path, message: `a pipeline's concurrency key may only use the run input ("input.<path>"), not "${String(ref)}"` });
    }
  }
  return issues;
}
