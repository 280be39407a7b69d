import { z } from 'zod';

/** GET /health: the process is up. */
export const Health = z.object({ status: z.literal('ok') });
export type Health = z.infer<typeof Health>;

/** GET /ready (200 and 503 alike): every check with its outcome. */
export const Ready = z.object({ status: z.enum(['ready', 'not-ready']), checks: z.record(z.string(), z.object({ ok: z.boolean(), message: z.string() })) });
export type Ready = z.infer<typeof Ready>;
