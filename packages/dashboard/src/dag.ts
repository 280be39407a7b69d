import type { StageDefinition } from '@baton/contracts';
import { H, layoutDag, W } from './dag-layout.js';
import { svg } from './dom.js';

/** The pipeline's DAG as inline SVG (edges from each dependency to its dependant). */
export function dagView(stages: Pick<StageDefinition, 'name' | 'agent' | 'dependsOn'>[], statusOf?: (name: string) => string | undefined): SVGElement {
  const { nodes, width, height } = layoutDag(stages);
  const root = svg('svg', { class: 'dag', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'pipeline graph' });
  root.appendChild(svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow' }))));
  for (const s of stages) {
    const to = nodes.get(s.name)!;
    for (const p of s.dependsOn) {
      const from = nodes.get(p);
      if (!from) continue;
      const x1 = from.x + W;
      const y1 = from.y + H / 2;
      const x2 = to.x;
      const y2 = to.y + H / 2;
      const mid = (x1 + x2) / 2;
      root.appendChild(svg('path', { class: 'edge', d: `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`, 'marker-end': 'url(#arrow)', 'data-edge': `${p}->${s.name}` }));
    }
  }
  for (const n of nodes.values()) {
    const st = statusOf?.(n.name);
    root.appendChild(
      svg(
        'g',
        { class: `node${st ? ` st-${st}` : ''}`, 'data-node': n.name, transform: `translate(${n.x} ${n.y})` },
        svg('rect', { width: W, height: H, rx: 6 }),
        svg('text', { x: 10, y: 18, class: 'node-name' }, n.name.length > 20 ? `${n.name.slice(0, 19)}…` : n.name),
        svg('text', { x: 10, y: 34, class: 'node-agent' }, n.agent),
      ),
    );
  }
  return root;
}
