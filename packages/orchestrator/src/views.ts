import type { RunSummary, RunView, StageView } from '@baton/contracts';
import { forEachView, runPriority, signalWaitingUntil, slotWaitingReason, waitingStages, waitingUntil, type FleetHints, type ResolvedInput, type RunDoc } from '@baton/engine';
import { SIGNAL_AGENT } from '@baton/contracts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The public view of a run (API responses), from the engine's document. */
export function runView(doc: RunDoc, fleet?: FleetHints, resolved?: Record<string, ResolvedInput[]>): RunView {
  const stages: StageView[] = doc.definition.stages.map((def) => {
    const st = doc.stages[def.name]!;
    const blockedMs = st.status === 'running' && st.agentId !== null ? fleet?.wedged.get(st.agentId) : undefined;
    const waitingReason =
      blockedMs !== undefined
        ? `agent "${st.agentId}" is wedged: its event loop has been blocked for ${Math.round(blockedMs / 1000)} s; it will be killed and its job recovered`
        : st.status === 'queued' && fleet && !fleet.aliveTypes.has(def.agent)
          ? `no alive "${def.agent}" agent is connected`
          : slotWaitingReason(doc, def.name);
    return {
      name: def.name,
      agent: def.waitFor ? SIGNAL_AGENT : def.agent,
      dependsOn: def.dependsOn,
      input: def.input,
      status: st.status,
      attempts: st.attempts,
      maxAttempts: def.retry.maxAttempts,
      agentId: st.agentId,
      queuedAt: iso(st.queuedAt),
      startedAt: iso(st.startedAt),
      finishedAt: iso(st.finishedAt),
      durationMs: st.startedAt !== null && st.finishedAt !== null ? Math.max(0, st.finishedAt - st.startedAt) : null,
      progress: st.progress,
      output: st.output,
      error: st.error,
      waitingReason,
      ...(resolved ? { resolvedInput: resolved[def.name]?.find((r) => r.dispatch === st.dispatch) ?? null, resolvedInputs: resolved[def.name] ?? [] } : {}),
      ...(def.forEach && st.fanOut ? { items: forEachView(doc, def.name) } : {}),
      ...(def.approval ? { approval: def.approval, waitingUntil: iso(waitingUntil(doc, def.name)) } : {}),
      ...(def.waitFor ? { waitFor: def.waitFor, waitingUntil: iso(signalWaitingUntil(doc, def.name)) } : {}),
      ...(st.message !== undefined ? { message: st.message } : {}),
      ...(def.when !== undefined ? { when: def.when, condition: st.condition ?? null } : {}),
      ...(st.usage ? { usage: st.usage } : {}),
    };
  });
  // Stages waiting for a concurrency slot are not waiting for a decision (their waitingReason says why).
  const waitingOn = waitingStages(doc).filter((n) => slotWaitingReason(doc, n) === null);
  const model = { ...(doc.usage ? { usage: doc.usage } : {}), ...(doc.definition.budget ? { budget: doc.definition.budget } : {}) };
  return { ...runSummary(doc), input: doc.input, waitingOn, deadlineAt: iso(doc.deadlineAt ?? null), forkedFrom: doc.forkedFrom ?? null, forks: doc.forks ?? [], ...model, stages };
}

export function runSummary(doc: RunDoc): RunSummary {
  return {
    id: doc.id,
    status: doc.status,
    pipeline: doc.pipeline,
    labels: doc.labels,
    createdAt: iso(doc.createdAt)!,
    startedAt: iso(doc.startedAt),
    finishedAt: iso(doc.finishedAt),
    updatedAt: iso(doc.updatedAt)!,
    error: doc.error,
    createdBy: doc.createdBy,
    priority: runPriority(doc),
  };
}
