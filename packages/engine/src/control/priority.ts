import { DEFAULT_RUN_PRIORITY } from '@baton/contracts';
import type { RunDoc } from '../run-doc.js';

/**
 * Run priorities. A run's priority (1 lowest .. 10 highest, default 5) reaches every one of its
 * stage jobs as a BullMQ priority, so an agent takes a hot-fix run's job before a backlog of
 * normal ones. BullMQ's scale is inverted (1 is its highest, and a job with no priority would jump
 * every prioritized one), so every job gets one: 11 - run priority.
 */
export const runPriority = (doc: Pick<RunDoc, 'priority'>): number => doc.priority ?? DEFAULT_RUN_PRIORITY;

/** The BullMQ job priority of a run's stage jobs. */
export const bullPriority = (doc: Pick<RunDoc, 'priority'>): number => 11 - runPriority(doc);

/** A BullMQ job priority back on the run's scale (for queue views). */
export const fromBullPriority = (p: number): number => (p <= 0 ? DEFAULT_RUN_PRIORITY : 11 - p);
