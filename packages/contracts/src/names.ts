import { z } from 'zod';

/** Agent types double as BullMQ queue names, so they stay short and colon-free. */
export const AgentType = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, 'lowercase letters, digits and "-", starting with a letter, at most 40 characters');
export type AgentType = z.infer<typeof AgentType>;

/** Stage names appear in job ids (`<runId>.<stage>.<dispatch>`), so no dots or colons. */
export const StageName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,39}$/, 'lowercase letters, digits, "_" and "-", starting with a letter, at most 40 characters');
export type StageName = z.infer<typeof StageName>;

export const PipelineName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'lowercase letters, digits and "-", starting with a letter, at most 63 characters');
export type PipelineName = z.infer<typeof PipelineName>;

/** `run_` + 26 Crockford base32 characters (a ULID: sortable by creation time). */
export const RunId = z.string().regex(/^run_[0-9A-HJKMNP-TV-Z]{26}$/, 'not a run id');
export type RunId = z.infer<typeof RunId>;

export const AgentId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,127}$/i, 'not an agent id');
export type AgentId = z.infer<typeof AgentId>;

export const Labels = z
  .record(
    z.string().regex(/^[a-z0-9][a-z0-9._/-]{0,62}$/i, 'label keys: letters, digits, ".", "_", "/", "-"; at most 63 characters'),
    z.string().max(256),
  )
  .refine((l) => Object.keys(l).length <= 32, 'at most 32 labels');
export type Labels = z.infer<typeof Labels>;
