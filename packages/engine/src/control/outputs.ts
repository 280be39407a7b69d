import type { JsonValue } from '@baton/contracts';
import type { RunDoc } from '../run-doc.js';

/** The outputs of a run's succeeded stages, by name (what `$from` and templates resolve against). */
export function succeededOutputs(doc: RunDoc): Record<string, JsonValue | undefined> {
  const outputs: Record<string, JsonValue | undefined> = {};
  for (const [name, st] of Object.entries(doc.stages)) {
    if (st.status === 'succeeded') outputs[name] = st.output ?? null;
  }
  return outputs;
}
