import { z } from 'zod';

export const NoopEnv = z.object({
  /** Append one JSON line per execution to this file (the chaos battery's side-effect ledger). */
  BATON_NOOP_LEDGER: z.string().optional(),
});

export const noopEnv = NoopEnv.parse(process.env);
