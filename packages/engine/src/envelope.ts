import { PROTOCOL_VERSION, resolveRefs, type JsonValue, type StageError, type TaskEnvelope } from '@baton/contracts';
import { succeededOutputs } from './control/outputs.js';
import { ENVELOPE_OVERHEAD_BYTES } from './admission/admission.js';
import { jsonBytes, resolvedInputBytes } from './admission/input-size.js';
import { itemsOf } from './control/for-each.js';
import { stageDef, type RunDoc } from './run-doc.js';

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
    def.dependsOn.reduce((n, dep) => n + jsonBytes(outputs[dep] ?? null), 0) +
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
    },
  };
}
