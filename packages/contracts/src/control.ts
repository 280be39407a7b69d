import { z } from 'zod';

/**
 * Messages from the orchestrator to agents, appended to the agent type's control stream (a Redis
 * stream, so an agent that was briefly disconnected still reads them when it reconnects).
 */
export const ControlMessage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('cancel'), jobId: z.string(), reason: z.string() }),
  z.object({ kind: z.literal('drain'), agentId: z.string() }),
  z.object({ kind: z.literal('restart'), agentId: z.string() }),
]);
export type ControlMessage = z.infer<typeof ControlMessage>;

/** Published after each committed run transition (live notification only; the events stream is the record). */
export const RunNotice = z.object({ runId: z.string(), rev: z.int() });
export type RunNotice = z.infer<typeof RunNotice>;
