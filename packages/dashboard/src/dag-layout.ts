import type { StageDefinition } from '@baton/contracts';
import { depths } from './timeline-model.js';

export const W = 150;
export const H = 44;
const GAP_X = 60;
const GAP_Y = 18;
const PAD = 12;

export interface NodeBox {
  name: string;
  agent: string;
  x: number;
  y: number;
}

/** A layered layout: a column per dependency level, nodes ordered by their parents' positions. */
export function layoutDag(stages: Pick<StageDefinition, 'name' | 'agent' | 'dependsOn'>[]): { nodes: Map<string, NodeBox>; width: number; height: number } {
  const d = depths(stages);
  const layers: (typeof stages)[] = [];
  for (const s of stages) (layers[d.get(s.name) ?? 0] ??= []).push(s);
  const nodes = new Map<string, NodeBox>();
  let rows = 0;
  layers.forEach((layer, i) => {
    // Barycentre of the parents' rows keeps edges short and mostly uncrossed.
    const key = (s: (typeof stages)[number]) => (s.dependsOn.length ? s.dependsOn.reduce((a, p) => a + (nodes.get(p)?.y ?? 0), 0) / s.dependsOn.length : 0);
    const ordered = [...layer].sort((a, b) => key(a) - key(b));
    ordered.forEach((s, j) => nodes.set(s.name, { name: s.name, agent: s.agent, x: PAD + i * (W + GAP_X), y: PAD + j * (H + GAP_Y) }));
    rows = Math.max(rows, layer.length);
  });
  return { nodes, width: PAD * 2 + layers.length * W + Math.max(0, layers.length - 1) * GAP_X, height: PAD * 2 + rows * H + Math.max(0, rows - 1) * GAP_Y };
}
