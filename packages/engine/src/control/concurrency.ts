import { CONCURRENCY_KEY_VALUE, keyPlaceholders, resolveRefs, TERMINAL_RUN_STATUSES, TERMINAL_STAGE_STATUSES, type ConcurrencySpec, type JsonValue, type StageError } from '@baton/contracts';
import { stageDef, stageState, type RunDoc, type SlotState } from '../run-doc.js';
import type { DraftLike } from './draft.js';

/**
 * Concurrency keys as pure transitions. A stage that needs a slot (its pipeline's key, for the
 * whole run, and/or its own key) goes `waiting` with the slot recorded as `waiting` in the run
 * document; the commit adds the run to the key's waiters. Granting is a separate transition whose
 * commit takes the slot atomically (the commit script refuses it when the key is full, see
 * commit-run-transition.lua); the slot is released by the commit in which its stage (or run) ends.
 * The store turns differences in `doc.slots` into those Redis writes (store/run-store.ts).
 */

/** The scope of the pipeline-level key (stage names cannot start with "$"). */
export const RUN_SCOPE = '$run';

/** A slot's member in the key's holders / waiters sets. */
export const slotMember = (runId: string, scope: string) => `${runId}|${scope}`;

export function parseSlotMember(member: string): { runId: string; scope: string } | null {
  const sep = member.indexOf('|');
  return sep > 0 ? { runId: member.slice(0, sep), scope: member.slice(sep + 1) } : null;
}

export function specOf(doc: RunDoc, scope: string): ConcurrencySpec | undefined {
  return scope === RUN_SCOPE ? doc.definition.concurrency : stageDef(doc, scope).concurrency;
}

function outputsOf(doc: RunDoc): Record<string, JsonValue | undefined> {
  const outputs: Record<string, JsonValue | undefined> = {};
  for (const [name, st] of Object.entries(doc.stages)) if (st.status === 'succeeded') outputs[name] = st.output ?? null;
  return outputs;
}

/** The key value a spec resolves to for this run (templates and `$from`), or why it cannot. */
export function resolveKey(doc: RunDoc, spec: ConcurrencySpec): { key: string } | { error: StageError } {
  const ctx = { input: doc.input, outputs: outputsOf(doc) };
  let key: string;
  const fail = (why: string): { error: StageError } => ({ error: { code: 'CONCURRENCY_KEY_UNRESOLVED', message: `concurrency key ${JSON.stringify(spec.key)} ${why}`, retryable: false } });
  if (typeof spec.key === 'string') {
    key = spec.key;
    for (const ref of keyPlaceholders(spec.key)) {
      const { value, missing } = resolveRefs({ $from: ref }, ctx);
      if (missing.length > 0) return fail(`: "\${${ref}}" resolved to nothing`);
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return fail(`: "\${${ref}}" is not a string or number`);
      key = key.replace(`\${${ref}}`, String(value));
    }
  } else {
    const { value, missing } = resolveRefs(spec.key, ctx);
    if (missing.length > 0) return fail('resolved to nothing');
    if (typeof value !== 'string' && typeof value !== 'number') return fail('is not a string or number');
    key = String(value);
  }
  if (!CONCURRENCY_KEY_VALUE.test(key)) return fail(`resolved to "${key.slice(0, 100)}", which is not 1-200 of [A-Za-z0-9_.:/@=+-]`);
  return { key };
}

/** The scopes a stage needs a slot of, outermost first. */
const scopesOf = (doc: RunDoc, stage: string): string[] => [...(doc.definition.concurrency ? [RUN_SCOPE] : []), ...(stageDef(doc, stage).concurrency ? [stage] : [])];

/**
 * A ready stage asks for the slots it needs. `go`: it holds them all (queue it); `wait`: it is now
 * `waiting` for a slot; `failed`: its key cannot be resolved (the stage failed).
 */
export function gate(d: DraftLike, stage: string): 'go' | 'wait' | 'failed' {
  for (const scope of scopesOf(d.doc, stage)) {
    const held = d.doc.slots?.[scope];
    if (held?.status === 'held') continue;
    let slot: SlotState;
    if (held) {
      slot = { ...held, stages: held.stages.includes(stage) ? held.stages : [...held.stages, stage] };
    } else {
      const spec = specOf(d.doc, scope)!;
      const r = resolveKey(d.doc, spec);
      if ('error' in r) {
        const st = stageState(d.doc, stage);
        st.status = 'failed';
        st.error = r.error;
        st.finishedAt = d.now;
        d.emit({ type: 'stage.failed', stage, error: r.error });
        return 'failed';
      }
      slot = { key: r.key, limit: spec.limit, status: 'waiting', heldBy: null, stages: [stage] };
    }
    d.doc.slots = { ...d.doc.slots, [scope]: slot };
    const st = stageState(d.doc, stage);
    st.status = 'waiting';
    st.queuedAt = d.now;
    d.emit({ type: 'stage.waiting', stage, message: `waiting for concurrency key "${slot.key}" (limit ${slot.limit})`, until: null });
    return 'wait';
  }
  return 'go';
}

/** The slot of `scope` is granted (its commit takes it): the stages waiting for it become pending. */
export function grant(d: DraftLike, scope: string): boolean {
  const slot = d.doc.slots?.[scope];
  if (!slot || slot.status !== 'waiting' || TERMINAL_RUN_STATUSES.has(d.doc.status)) return false;
  d.doc.slots = { ...d.doc.slots, [scope]: { ...slot, status: 'held', heldBy: null, stages: [] } };
  for (const name of slot.stages) {
    const st = d.doc.stages[name];
    if (st?.status === 'waiting') {
      st.status = 'pending';
      st.queuedAt = null;
    }
  }
  return true;
}

/** A grant was refused because `holder` has the key: remembered for the waiting reason. */
export function noteHolder(d: DraftLike, scope: string, holder: string | null): boolean {
  const slot = d.doc.slots?.[scope];
  if (!slot || slot.status !== 'waiting' || slot.heldBy === holder) return false;
  d.doc.slots = { ...d.doc.slots, [scope]: { ...slot, heldBy: holder } };
  return true;
}

/**
 * Drops the slots nothing needs any more: a stage's once the stage has ended, the run's once the
 * run has, and any slot whose waiting stages all ended (cancelled). The commit releases them.
 */
export function releaseSlots(d: DraftLike): void {
  const slots = d.doc.slots;
  if (!slots) return;
  const runDone = TERMINAL_RUN_STATUSES.has(d.doc.status);
  const ended = (name: string) => TERMINAL_STAGE_STATUSES.has(stageState(d.doc, name).status);
  const keep: Record<string, SlotState> = {};
  for (const [scope, slot] of Object.entries(slots)) {
    if (runDone) continue;
    if (slot.status === 'held' && (scope === RUN_SCOPE || !ended(scope))) keep[scope] = slot;
    if (slot.status === 'waiting' && slot.stages.some((s) => !ended(s))) keep[scope] = slot;
  }
  if (Object.keys(keep).length !== Object.keys(slots).length) d.doc.slots = keep;
}

/** Why a waiting stage waits for a slot (the run view's waitingReason), or null. */
export function slotWaitingReason(doc: RunDoc, stage: string): string | null {
  if (doc.stages[stage]?.status !== 'waiting' || !doc.slots) return null;
  for (const slot of Object.values(doc.slots)) {
    if (slot.status !== 'waiting' || !slot.stages.includes(stage)) continue;
    const by = slot.heldBy ? `, held by run ${parseSlotMember(slot.heldBy)?.runId ?? slot.heldBy}` : '';
    return `waiting for concurrency key "${slot.key}" (limit ${slot.limit})${by}`;
  }
  return null;
}

/** Scopes of the run's slots that are waiting to be granted. */
export const waitingScopes = (doc: RunDoc): string[] => Object.entries(doc.slots ?? {}).filter(([, s]) => s.status === 'waiting').map(([scope]) => scope);
