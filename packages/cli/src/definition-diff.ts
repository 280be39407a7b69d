import type { PipelineDefinition } from '@baton/contracts';

/** One difference between two pipeline definitions, at a path (`stages.build.input.ms`). */
export interface DefinitionChange {
  kind: 'added' | 'removed' | 'changed';
  path: string;
  before?: unknown;
  after?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function diffValues(path: string, a: unknown, b: unknown, out: DefinitionChange[]): void {
  if (isObject(a) && isObject(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const p = `${path}.${k}`;
      if (!(k in b)) out.push({ kind: 'removed', path: p, before: a[k] });
      else if (!(k in a)) out.push({ kind: 'added', path: p, after: b[k] });
      else diffValues(p, a[k], b[k], out);
    }
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ kind: 'changed', path, before: a, after: b });
}

/** Stages are compared by name (a reordering alone is a change of `order`), everything else by value. */
export function diffDefinitions(a: PipelineDefinition, b: PipelineDefinition): DefinitionChange[] {
  const out: DefinitionChange[] = [];
  diffValues('description', a.description ?? null, b.description ?? null, out);
  const before = new Map(a.stages.map((s) => [s.name, s]));
  const after = new Map(b.stages.map((s) => [s.name, s]));
  for (const s of a.stages) if (!after.has(s.name)) out.push({ kind: 'removed', path: `stages.${s.name}`, before: s });
  for (const s of b.stages) {
    const old = before.get(s.name);
    if (!old) out.push({ kind: 'added', path: `stages.${s.name}`, after: s });
    else diffValues(`stages.${s.name}`, old, s, out);
  }
  const order = (d: PipelineDefinition) => d.stages.map((s) => s.name).filter((n) => before.has(n) && after.has(n));
  if (order(a).join() !== order(b).join()) out.push({ kind: 'changed', path: 'order', before: order(a), after: order(b) });
  return out;
}

export function renderChanges(changes: DefinitionChange[]): string {
  if (changes.length === 0) return 'no differences';
  const v = (x: unknown) => JSON.stringify(x);
  return changes
    .map((c) => (c.kind === 'added' ? `+ ${c.path}: ${v(c.after)}` : c.kind === 'removed' ? `- ${c.path}: ${v(c.before)}` : `~ ${c.path}: ${v(c.before)} → ${v(c.after)}`))
    .join('\n');
}
