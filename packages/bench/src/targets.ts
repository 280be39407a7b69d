import type { ScenarioResult } from './scenario.js';
import { round } from './stats.js';

export interface Verdict {
  id: string;
  figure: string;
  target: string;
  /** null: no target, or not measurable in this run (a scenario it compares with was not run). */
  met: boolean | null;
}

const fig = (r: ScenarioResult | undefined, k: string) => r?.figures[k] ?? NaN;
const ok = (x: number, pass: (x: number) => boolean) => (Number.isNaN(x) ? null : pass(x));

/** Applies the targets to one pass's results. */
export function verdicts(results: Map<string, ScenarioResult>): Verdict[] {
  const out: Verdict[] = [];
  const A = results.get('A');
  const B = results.get('B');
  const C = results.get('C');
  if (A) out.push({ id: 'A', figure: `${fig(A, 'perSecond')} jobs/s`, target: '— (anchor)', met: null });
  // Verdicts compare unrounded ratios (a rounded 0.176 would pass "≥ 0.18"); figures show 4 decimals.
  if (B) {
    const r = fig(B, 'perSecond') / fig(A, 'perSecond');
    out.push({ id: 'B', figure: `${fig(B, 'perSecond')} runs/s; ÷A = ${round(r, 4)}`, target: '÷A ≥ 0.5', met: ok(r, (x) => x >= 0.5) });
  }
  if (C) {
    const r = fig(C, 'perSecond') / fig(B, 'perSecond');
    out.push({ id: 'C', figure: `${fig(C, 'perSecond')} runs/s; ÷B = ${round(r, 4)}`, target: '÷B ≥ 0.18', met: ok(r, (x) => x >= 0.18) });
  }
  const D = results.get('D');
  if (D) {
    const r = fig(D, 'p50Ratio');
    out.push({
      id: 'D',
      figure: `hop p50 ${fig(D, 'batonP50Ms')} ms vs BullMQ ${fig(D, 'rawP50Ms')} ms (×${r}); p99 ${fig(D, 'batonP99Ms')} ms`,
      target: 'p50 ratio ≤ 3; p99 ≤ 10 ms',
      met: ok(r, (x) => x <= 3 && fig(D, 'batonP99Ms') <= 10),
    });
  }
  const E = results.get('E');
  if (E) {
    const r = fig(E, 'ratio');
    out.push({
      id: 'E',
      figure: `${fig(E, 'batonRps')} req/s vs Fastify ${fig(E, 'helloRps')} (×${r}); p99 ${fig(E, 'batonP99Ms')} ms`,
      target: 'ratio ≥ 0.3; p99 ≤ 25 ms',
      met: ok(r, (x) => x >= 0.3 && fig(E, 'batonP99Ms') <= 25),
    });
  }
  const F = results.get('F');
  if (F) {
    const r = fig(F, 'ratio');
    out.push({ id: 'F', figure: `${fig(F, 'stagesPerSecond')} stages/s vs ideal ${fig(F, 'idealStagesPerSecond')} (×${r})`, target: '≥ 0.9', met: ok(r, (x) => x >= 0.9) });
  }
  const G = results.get('G');
  if (G) {
    const r = fig(G, 'ratio');
    out.push({ id: 'G', figure: `${fig(G, 'mem1Mb')} MB → ${fig(G, 'mem2Mb')} MB (×${r})`, target: '≈ 1.0 (0.9–1.1)', met: ok(r, (x) => x >= 0.9 && x <= 1.1) });
  }
  const H = results.get('H');
  if (H) {
    const per = fig(H, 'commandsPerAgentPerBeat');
    const conns = fig(H, 'connectionsPerAgent');
    out.push({
      id: 'H',
      figure: `${fig(H, 'agents')} agents: ${fig(H, 'commandsPerSecond')} cmd/s = ${per} per agent per beat (heartbeat itself ${fig(H, 'heartbeatCommandsPerBeat')}), ${conns} connections per agent`,
      target: '≤ 2 per agent per beat; ≤ 3 connections',
      met: ok(per, (x) => x <= 2 && conns <= 3),
    });
  }
  return out;
}
