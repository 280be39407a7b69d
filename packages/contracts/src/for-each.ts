import { z } from 'zod';

/** Largest number of items a fan-out may have, whatever a stage asks for. */
export const MAX_FOR_EACH_ITEMS = 10_000;

/**
 * Dynamic fan-out: the stage runs once per item of the list `$from` resolves to at dispatch (a path
 * such as `stages.plan.output.packages`). Each item is its own job (own retries, per the stage's
 * `retry`); the item reaches the handler as `ctx.item` and the stage input may reference it with
 * `{ "$from": "item" }` or `{ "$from": "item.<path>" }`. The stage's output is the list of item
 * outputs, in item order; dependents wait for every item (fan-in).
 */
export const ForEachSpec = z
  .object({
    /** Where the list comes from: `input.<path>` or `stages.<name>.output.<path>` (an upstream stage). */
    $from: z.string().min(1).max(500),
    /** How many items run at once. */
    maxParallel: z.int().min(1).max(1000).default(10),
    /** More items than this fails the stage with FOR_EACH_TOO_MANY_ITEMS (nothing runs). */
    maxItems: z.int().min(1).max(MAX_FOR_EACH_ITEMS).default(1000),
    /**
     * An item failing for good: `fail-run` fails the stage at once and cancels the items still queued
     * or running (the stage's `onFailure` then applies; by default the run fails); `continue` lets the
     * other items finish, collects the failures in the stage's `items.failures`, and the stage
     * succeeds with `null` in the failed items' places.
     */
    onItemFailure: z.enum(['fail-run', 'continue']).default('fail-run'),
  })
  .strict();
export type ForEachSpec = z.infer<typeof ForEachSpec>;

/** Item states in a fan-out's compact state string (one character per item). */
export const ITEM_STATE = { pending: 'p', queued: 'q', running: 'r', succeeded: 's', failed: 'f', cancelled: 'c' } as const;
export type ItemState = keyof typeof ITEM_STATE;
export type ItemStateChar = (typeof ITEM_STATE)[ItemState];

/** What the run view shows of a fan-out stage. */
export const ForEachView = z.object({
  total: z.int().nonnegative(),
  maxParallel: z.int().positive(),
  counts: z.object({
    pending: z.int().nonnegative(),
    queued: z.int().nonnegative(),
    running: z.int().nonnegative(),
    succeeded: z.int().nonnegative(),
    failed: z.int().nonnegative(),
    cancelled: z.int().nonnegative(),
  }),
  /** One character per item, in order: p pending, q queued, r running, s succeeded, f failed, c cancelled. */
  states: z.string(),
  /** Items that failed for good, with their errors. */
  failures: z.array(z.object({ item: z.int().nonnegative(), code: z.string(), message: z.string() })),
});
export type ForEachView = z.infer<typeof ForEachView>;
