import { z } from 'zod';
import { JsonValue } from '../json.js';
import { agentSpec } from './spec.js';

export const NoopFailure = z
  .object({
    /** Fail while the attempt number is at most this (e.g. 2: attempts 1 and 2 fail, 3 succeeds). */
    untilAttempt: z.int().min(1).max(100).default(1_000_000),
    retryable: z.boolean().default(true),
    code: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/).default('NOOP_FAILURE'),
    message: z.string().max(500).default('noop was told to fail'),
  })
  .strict();

/** The noop agent: sleeps, optionally burns CPU or fails, and echoes its input. For tests, demos, benchmarks. */
export const NoopInput = z
  .object({
    ms: z.int().min(0).max(3_600_000).default(0),
    /** Busy-loop the CPU for this long (blocks the event loop; heartbeats must keep flowing). */
    cpuMs: z.int().min(0).max(600_000).default(0),
    /** Keep sleeping when aborted (to exercise the runtime's hard timeout). */
    ignoreAbort: z.boolean().default(false),
    fail: z.union([z.boolean(), NoopFailure]).default(false),
    echo: JsonValue.optional(),
    /** Print `lines` lines of live output, one every `everyMs`, before sleeping; `secret` is registered for redaction and printed in each. */
    print: z
      .object({ lines: z.int().min(1).max(100_000), everyMs: z.int().min(0).max(60_000).default(0), secret: z.string().max(200).optional() })
      .strict()
      .optional(),
  })
  .strict();
export type NoopInput = z.infer<typeof NoopInput>;

export const NoopOutput = z.object({
  echo: JsonValue.nullable(),
  /** Names of the upstream stages whose outputs this stage received. */
  upstream: z.array(z.string()),
  sleptMs: z.int(),
  attempt: z.int(),
  /** In a fan-out stage: the item it ran (`ctx.item`). */
  item: JsonValue.optional(),
});
export type NoopOutput = z.infer<typeof NoopOutput>;

export const noopSpec = agentSpec({
  type: 'noop',
  description: 'Sleeps for input.ms, fails when told to, echoes its input',
  input: NoopInput,
  output: NoopOutput,
  concurrency: 8,
});
