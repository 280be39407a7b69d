import { resolveSecret, type AgentSecrets } from '@baton/agent-kit';
import type { JsonValue } from '@baton/contracts';
import { defineAgent, StageFailure, type ModelMessage, type ModelResponse } from '@baton/runtime';
import { z } from 'zod';
import { secretsFromEnv } from './env.js';
import { loadPrompt } from './prompts.js';
import { LlmInput, LlmOutput } from './schema.js';
import { renderTemplate } from './template.js';

const isPromptName = (s: string) => /^[a-z0-9][a-z0-9-]{0,62}$/.test(s);

function validator(schema: Record<string, JsonValue>): z.ZodType {
  try {
    return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (e: unknown) {
    throw new StageFailure('INVALID_OUTPUT_SCHEMA', `outputSchema is not a JSON schema this agent can check: ${e instanceof Error ? e.message : String(e)}`, { retryable: false });
  }
}

const issues = (e: z.ZodError) => e.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');

/** Builds the llm agent; `secrets` are the BATON_SECRET_* variables (and scopes) it may resolve the API key from. */
export function llmAgent(secrets: AgentSecrets = secretsFromEnv()) {
  return defineAgent({
    type: 'llm',
    description: 'One model call from a prompt template filled with $from inputs; optional tools; JSON-schema output, validated',
    input: LlmInput,
    output: LlmOutput,
    concurrency: 4,
    model: { apiKey: (name, url) => resolveSecret(name, { kind: 'model', url }, secrets) },
    handler: async (ctx) => {
      const input = ctx.input;
      const model = ctx.model!;
      const template = input.template ?? (await loadPrompt(input.prompt!));
      const system = input.system === undefined ? await loadPrompt('system-default') : isPromptName(input.system) ? await loadPrompt(input.system) : input.system;
      const check = input.outputSchema ? validator(input.outputSchema) : null;
      const messages: ModelMessage[] = [{ role: 'user', content: renderTemplate(template, input.vars) }];
      for (let repair = 0; ; repair++) {
        const r: ModelResponse = await model.complete({
          system,
          messages,
          ...(input.tools.length ? { tools: input.tools } : {}),
          ...(input.outputSchema ? { output: { schema: input.outputSchema } } : {}),
          ...(input.maxTokens ? { maxTokens: input.maxTokens } : {}),
          ...(input.temperature !== undefined ? { temperature: input.temperature } : {}),
        });
        const base = { text: r.text, toolCalls: r.toolCalls.map((c) => ({ ...c, arguments: c.arguments as JsonValue })), model: r.model, stopReason: r.stopReason };
        if (!check) return base;
        const parsed = check.safeParse(r.output);
        if (parsed.success) return { ...base, output: parsed.data as JsonValue };
        ctx.log.warn({ repair, issues: issues(parsed.error) }, 'model output does not match outputSchema');
        if (repair >= input.repairAttempts) {
          throw new StageFailure('MODEL_OUTPUT_INVALID', `the model's answer does not match outputSchema: ${issues(parsed.error)}`);
        }
        messages.push(
          { role: 'assistant', content: JSON.stringify(r.output ?? r.text) },
          { role: 'user', content: `That answer does not match the required JSON schema (${issues(parsed.error)}). Answer again with JSON that matches it exactly.` },
        );
      }
    },
  });
}
