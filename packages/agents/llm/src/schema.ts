import { JsonValue } from '@baton/contracts';
import { z } from 'zod';

const PromptName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a prompt file name (prompts/<name>.md) without the extension');

export const LlmTool = z
  .object({
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
    description: z.string().max(1000).optional(),
    /** JSON schema of the tool's arguments. */
    parameters: z.record(z.string(), JsonValue),
  })
  .strict();

/**
 * A model call from a prompt template. `vars` fill `{{name}}` / `{{name.path}}` placeholders; give
 * them `$from` references to feed upstream outputs or the run input in.
 */
export const LlmInput = z
  .object({
    /** A prompt file beside the agent (prompts/<name>.md) ... */
    prompt: PromptName.optional(),
    /** ... or an inline template. */
    template: z.string().min(1).max(100_000).optional(),
    /** System prompt: a prompt file name (default: system-default) or inline text. */
    system: z.string().max(20_000).optional(),
    vars: z.record(z.string(), JsonValue).default({}),
    /** Tools offered to the model; its calls come back in `toolCalls` for downstream stages. */
    tools: z.array(LlmTool).max(64).default([]),
    /** When set, the model must answer with JSON matching this schema; the answer is validated. */
    outputSchema: z.record(z.string(), JsonValue).optional(),
    maxTokens: z.int().min(1).max(200_000).optional(),
    temperature: z.number().min(0).max(2).optional(),
    /** Times an answer that does not match outputSchema is sent back to the model to fix (within the attempt). */
    repairAttempts: z.int().min(0).max(5).default(1),
  })
  .strict()
  .refine((i) => (i.prompt === undefined) !== (i.template === undefined), { message: 'give exactly one of "prompt" or "template"', path: ['prompt'] });
export type LlmInput = z.infer<typeof LlmInput>;

export const LlmOutput = z.object({
  text: z.string(),
  /** The validated structured answer (when outputSchema was given). */
  output: JsonValue.optional(),
  toolCalls: z.array(z.object({ id: z.string(), name: z.string(), arguments: JsonValue })),
  model: z.string(),
  stopReason: z.string(),
});
export type LlmOutput = z.infer<typeof LlmOutput>;
