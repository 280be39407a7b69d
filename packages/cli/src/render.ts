import type { RunView, StageView } from '@baton/contracts';
import Table from 'cli-table3';
import pc from 'picocolors';

const ICON: Record<string, string> = {
  pending: pc.dim('·'),
  queued: pc.yellow('○'),
  running: pc.cyan('◐'),
  succeeded: pc.green('✔'),
  failed: pc.red('✖'),
  skipped: pc.dim('↷'),
  cancelled: pc.magenta('⊘'),
  paused: pc.yellow('⏸'),
};

export function statusText(status: string): string {
  return `${ICON[status] ?? ' '} ${status}`;
}

function duration(ms: number | null): string {
  if (ms === null) return '';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const tokens = (n: number) => n.toLocaleString('en-US');

/** "1,234 tok $0.0123" (input + output tokens and cost of model calls). */
export function usageText(u: { inputTokens: number; outputTokens: number; costUsd: number }): string {
  return `${tokens(u.inputTokens + u.outputTokens)} tok $${u.costUsd.toFixed(4)}`;
}

function stageDetail(s: StageView): string {
  const detail = stageState(s);
  return s.usage ? `${detail}${detail ? '  ' : ''}${pc.dim(usageText(s.usage))}` : detail;
}

function stageState(s: StageView): string {
  if (s.error) return pc.red(`${s.error.code}: ${s.error.message}`.slice(0, 80));
  if (s.status === 'running' && s.progress) return `${s.progress.percent !== undefined ? `${Math.round(s.progress.percent)}% ` : ''}${s.progress.message ?? ''}`;
  if (s.waitingReason) return pc.yellow(s.waitingReason);
  return '';
}

/** The per-stage table shown by `baton run --follow`, `baton runs show` and the demo. */
export function stageTable(run: RunView): string {
  const color = pc.isColorSupported;
  const t = new Table({ head: ['stage', 'agent', 'status', 'attempts', 'time', 'detail'], style: color ? { head: ['bold'] } : { head: [], border: [] } });
  for (const s of run.stages) {
    t.push([s.name, s.agent, statusText(s.status), `${s.attempts}/${s.maxAttempts}`, duration(s.durationMs), stageDetail(s)]);
  }
  const head = `${pc.bold(run.id)}  ${statusText(run.status)}  ${pc.dim(`${run.pipeline.name}${run.pipeline.version ? ` v${run.pipeline.version}` : ''}`)}\n${t.toString()}`;
  return run.usage || run.budget ? `${head}\n${modelLine(run)}` : head;
}

/** The run's model spend (in/out tokens, cost) and its budget, under the stage table. */
function modelLine(run: RunView): string {
  const u = run.usage ?? { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 };
  const b = run.budget;
  const budget = b ? `  budget: ${[b.tokens !== undefined ? `${tokens(b.tokens)} tok` : '', b.costUsd !== undefined ? `$${b.costUsd}` : ''].filter(Boolean).join(', ')}` : '';
  return `model: ${usageText(u)} (in ${tokens(u.inputTokens)}, out ${tokens(u.outputTokens)}, ${u.calls} calls)${budget}`;
}
