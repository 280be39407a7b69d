import { z } from 'zod';
import { JsonObject, JsonValue } from './json.js';

/** The agent type a signal stage shows in run views (reserved, like `approval`). */
export const SIGNAL_AGENT = 'signal';

/** Signal names appear in routes (`/v1/runs/:id/signals/:name`). */
export const SignalName = z
  .string()
  .regex(/^[a-z][a-z0-9_.-]{0,62}$/, 'lowercase letters, digits, "_", "." and "-", starting with a letter, at most 63 characters');
export type SignalName = z.infer<typeof SignalName>;

/**
 * A stage that waits for a signal instead of running a job: it is `waiting` until
 * `POST /v1/runs/:id/signals/:name` delivers a payload (its output), or `timeoutMs` passes.
 */
export const WaitForSpec = z
  .object({
    signal: SignalName,
    /** How long to wait; null = forever. A timeout fails the stage with SIGNAL_TIMEOUT. */
    timeoutMs: z.int().min(1000).max(30 * 86_400_000).nullable().default(null),
    /** A JSON Schema the payload must match (checked when the signal is sent; 400 otherwise). */
    schema: JsonObject.optional(),
  })
  .strict();
export type WaitForSpec = z.infer<typeof WaitForSpec>;

/** POST /v1/runs/:id/signals/:name body. */
export const SignalRequest = z.object({ payload: JsonValue.default(null) }).strict();
export type SignalRequest = z.infer<typeof SignalRequest>;

/** What a signal did: the stages it completed now, or that it is kept for a stage not yet waiting. */
export const SignalResult = z.object({
  signal: SignalName,
  delivered: z.array(z.string()),
  buffered: z.boolean(),
});
export type SignalResult = z.infer<typeof SignalResult>;

/**
 * Compiles a signal stage's JSON Schema with zod (no code generation, no eval). Returns the
 * validator, or an error message for a schema zod cannot read.
 */
export function signalSchema(schema: JsonObject): z.ZodType | { error: string } {
  try {
    return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (e: unknown) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
