import { PROTOCOL_VERSION, resolveRefs, type JsonValue, type StageError, type TaskEnvelope } from '@baton/contracts';
import { succeededOutputs } from './control/outputs.js';
import { ENVELOPE_OVERHEAD_BYTES } from './admission/admission.js';
import { jsonBytes, resolvedInputBytes } from './admission/input-size.js';
import { itemsOf } from './control/for-each.js';
import { budgetLeft } from './control/budget.js';
import { stageDef, type RunDoc } from './run-doc.js';

/**
 * Sizes of upstream outputs already measured. A run document's outputs are never changed in place
 * (transitions replace them, run-doc.ts copyDoc), so each of a fan-out's item jobs measures its
 * upstream's output once per process rather than once per item.
 */
const measured = new WeakMap<object, number>();

function outputBytes(v: JsonValue): number {
  if (typeof v !== 'object' || v === null) return jsonBytes(v);
  let n = measured.get(v);
  if (n === undefined) {
    n = jsonBytes(v);
    measured.set(v, n);
  }
  return n;
}

/**
 * The task a stage's job carries: its input with `$from` references resolved against the run input
 * and upstream outputs, plus the direct upstream outputs. Deterministic, so a re-dispatch after a
 * crash sends the same task.
 */
export function buildEnvelope(doc: RunDoc, stage: string, item: number | null = null, maxBytes = Number.POSITIVE_INFINITY): { envelope: TaskEnvelope } | { error: StageError } {
  const def = stageDef(doc, stage);
  let current: { index: number; value: JsonValue } | undefined;
  if (item !== null) {
    const list = itemsOf(doc, stage);
    if ('error' in list) return list;
    current = { index: item, value: list.items[item] ?? null };
  }
  const outputs = succeededOutputs(doc);
  // Measured before it is built: a few references to a large value must not build a huge object.
  const bytes =
    resolvedInputBytes(def.input, { input: doc.input, outputs, item: current?.value }) +
    def.dependsOn.reduce((n, dep) => n + outputBytes(outputs[dep] ?? null), 0) +
    jsonBytes(current?.value) +
    ENVELOPE_OVERHEAD_BYTES;
  if (bytes > maxBytes) {
    return {
      error: {
        code: 'STAGE_INPUT_TOO_LARGE',
        message: `stage "${stage}" job envelope would be ${bytes} bytes (at most ${maxBytes}): its resolved input and upstream outputs are too large`,
        retryable: false,
        details: { bytes, maxBytes },
      },
    };
  }
  const { value, missing } = resolveRefs(def.input, { input: doc.input, outputs, item: current?.value });
  if (missing.length > 0) {
    return {
      error: {
        code: 'INPUT_RESOLUTION_FAILED',
        message: `stage "${stage}"${item === null ? '' : ` (item ${item})`} input references resolved to nothing: ${missing.join(', ')} (add a "default" or fix the upstream output)`,
        retryable: false,
        details: { missing },
      },
    };
  }
  const upstream: Record<string, JsonValue | null> = {};
  for (const dep of def.dependsOn) upstream[dep] = outputs[dep] ?? null;
  const budget = budgetLeft(doc);
  return {
    envelope: {
      protocol: PROTOCOL_VERSION,
      runId: doc.id,
      stage,
      agent: def.agent,
      dispatch: doc.stages[stage]!.dispatch,
      pipeline: doc.pipeline.name,
      input: value,
      upstream,
      timeoutMs: def.timeoutMs,
      labels: doc.labels,
      ...(current ? { item: current } : {}),
      ...(budget ? { budget } : {}),
    },
  };
}
