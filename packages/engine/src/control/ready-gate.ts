import type { StageCondition, StageError, StageStatus } from '@baton/contracts';
import { stageDef, stageState } from '../run-doc.js';
import { evaluateWhen } from './conditions.js';
import type { DraftLike } from './draft.js';

/**
 * What becomes of a stage whose dependencies are all done, before it is dispatched: skipped when an
 * upstream stage did not run (unless it opts in with `onUpstreamSkipped: run`; a cancelled upstream
 * always skips), skipped when its `when` is false, failed when its `when` cannot be evaluated
 * (CONDITION_FAILED), otherwise it may run. The evaluation is recorded on the stage.
 */
export function readyGate(d: DraftLike, name: string, deps: readonly StageStatus[]): 'run' | 'skipped' | 'failed' {
  const def = stageDef(d.doc, name);
  const runAnyway = def.onUpstreamSkipped === 'run' && !deps.includes('cancelled');
  if (!runAnyway && deps.some((s) => s === 'skipped' || s === 'cancelled')) {
    skipStage(d, name, 'an upstream stage did not run');
    return 'skipped';
  }
  if (def.when === undefined) return 'run';
  const r = evaluateWhen(d.doc, name);
  if ('error' in r) {
    failStage(d, name, r.error);
    return 'failed';
  }
  stageState(d.doc, name).condition = r.condition;
  if (r.condition.result) return 'run';
  skipStage(d, name, `its condition is false: ${def.when}`, r.condition);
  return 'skipped';
}

function skipStage(d: DraftLike, name: string, reason: string, condition?: StageCondition): void {
  const st = stageState(d.doc, name);
  st.status = 'skipped';
  st.finishedAt = d.now;
  d.emit({ type: 'stage.skipped', stage: name, reason, ...(condition ? { condition } : {}) });
}

function failStage(d: DraftLike, name: string, error: StageError): void {
  const st = stageState(d.doc, name);
  st.status = 'failed';
  st.finishedAt = d.now;
  st.error = error;
  d.emit({ type: 'stage.failed', stage: name, error });
}
