import type { RunEvent } from '@baton/contracts';
import type { RunDoc } from '../run-doc.js';

export type EventBody = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'runId' | 'at'> : never) : never;

/** What a control module may touch of the reducer's transition in progress. */
export interface DraftLike {
  readonly doc: RunDoc;
  readonly now: number;
  emit(event: EventBody): void;
}
