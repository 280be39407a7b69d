import { z } from 'zod';
import { JsonValue } from './json.js';

/**
 * A concurrency key on a pipeline (held for the whole run) or on a stage (held while the stage runs):
 * at most `limit` holders of one key value at a time, across all runs. `key` is a string in which
 * `${input.a}` / `${stages.<name>.output.a}` placeholders are replaced, or a `{ "$from": ... }`
 * reference; it resolves when the run (or stage) becomes ready. A run over the limit:
 * `queue` waits (the stage shows `waiting` with a waitingReason naming the key and the holder),
 * `cancel-running` cancels the older runs holding the key (the newer run supersedes them),
 * `cancel-newest` cancels the run that asked last.
 */
export const ConcurrencySpec = z
  .object({
    key: z.union([z.string().min(1).max(200), z.object({ $from: z.string().min(1).max(500), default: JsonValue.optional() }).strict()]),
    limit: z.int().min(1).max(1000).default(1),
    onConflict: z.enum(['queue', 'cancel-running', 'cancel-newest']).default('queue'),
  })
  .strict();
export type ConcurrencySpec = z.infer<typeof ConcurrencySpec>;

/** What a resolved key value may look like (it becomes part of a Redis key name). */
export const CONCURRENCY_KEY_VALUE = /^[A-Za-z0-9_.:/@=+-]{1,200}$/;

/** The `${...}` placeholders of a key template, in order. */
export function keyPlaceholders(template: string): string[] {
  return [...template.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]!);
}
