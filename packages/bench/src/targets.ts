import type { ScenarioResult } from './scenario.js';
import { round } from './stats.js';

export interface Verdict {
  id: string;
  figure: string;
  target: string;
  /** null: no target, or not measurable in this run (a scenario it compares with was not run). */
  met: boolean | null;
  /** The scenario whose CPU and commands the row shows (default: `id`); none for a row without them. */
  of?: string | null;
}

const fig = (r: ScenarioResult | undefined, k: string) => r?.figures[k] ?? NaN;
const ok = (x: number, pass: (x: number) => boolean) => (Number.isNaN(x) ? null : pass(x));

/**
 * Applies issue 20's targets to one pass's results. Verdicts compare unrounded ratios (a rounded
 * 0.346 would pass "≥ 0.35"); figures show 4 decimals.
 */
export function verdicts(results: Map<string, ScenarioResult>): Verdict[] {
  const out: Verdict[] = [];
  const A = results.get('A');
  const B = results.get('B');
  const C = results.get('C');
  const P = results.get('P');
  if (A) out.push({ id: 'A', figure: `${fig(A, 'perSecond')} jobs/s`, target: '— (anchor)', met: null });
  if (P) out.push({ id: 'P', figure: `${fig(P, 'perSecond')} chains/s`, target: '— (anchor: the peer of C)', met: null });
  if (B) {
    const r = fig(B, 'perSecond') / fig(A, 'perSecond');
    out.push({ id: 'B', figure: `${fig(B, 'perSecond')} runs/s; ÷A = ${round(r, 4)}`, target: '÷A ≥ 0.35', met: ok(r, (x) => x >= 0.35) });
  }
  if (C) {
    const r = fig(C, 'perSecond') / fig(P, 'perSecond');
    const rb = fig(C, 'perSecond') / fig(B, 'perSecond');
    out.push({ id: 'C', figure: `${fig(C, 'perSecond')} runs/s; ÷P = ${round(r, 4)} (÷B = ${round(rb, 4)})`, target: '÷P ≥ 1.0', met: ok(r, (x) => x >= 1) });
  }
  const D = results.get('D');
  if (D) {
    const r = fig(D, 'p50Ratio');
    out.push({
      id: 'D',
      figure: `hop p50 ${fig(D, 'batonP50Ms')} ms vs BullMQ add → start ${fig(D, 'rawP50Ms')} ms (×${r}); p99 ${fig(D, 'batonP99Ms')} ms`,
      target: 'p50 ratio ≤ 2; p99 ≤ 5 ms',
      met: ok(r, (x) => x <= 2 && fig(D, 'batonP99Ms') <= 5),
    });
  }
  const E = results.get('E');
  if (E) {
    const r = fig(E, 'ratio');
    out.push({
      id: 'E',
      figure: `${fig(E, 'batonRps')} req/s vs Fastify hello-world ${fig(E, 'helloRps')} (×${r}); p99 ${fig(E, 'batonP99Ms')} ms`,
      target: '÷hello-world ≥ 0.25; p99 ≤ 25 ms',
      met: ok(r, (x) => x >= 0.25 && fig(E, 'batonP99Ms') <= 25),
    });
    const rp = fig(E, 'peerRatio');
    out.push({
      id: 'E′',
      figure: `${fig(E, 'batonRps')} req/s vs Fastify + zod + BullMQ add ${fig(E, 'peerRps')} (×${rp}); E′ p99 ${fig(E, 'peerP99Ms')} ms`,
      target: 'E ÷ E′ ≥ 0.6',
      met: ok(rp, (x) => x >= 0.6),
      of: null,
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
      target: '≤ 2 per agent per beat; ≤ 3 connections per agent',
      met: ok(per, (x) => x <= 2 && conns <= 3),
    });
  }
  const I = results.get('I');
  if (I) {
    out.push({
      id: 'I',
      figure: `1 → 100 → 1: ${fig(I, 'batonPerSecond')} runs/s (${fig(I, 'batonMsPerFanOut')} ms each) vs BullMQ flow parent + 100 children ${fig(I, 'peerPerSecond')}/s (${fig(I, 'peerMsPerFanOut')} ms); ÷ = ${fig(I, 'ratio')}`,
      target: '— (reported against the peer)',
      met: null,
    });
  }
  return out;
}
