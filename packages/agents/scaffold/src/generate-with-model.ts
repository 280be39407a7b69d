import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { NonRetryableError, StageFailure, type ModelClient } from '@baton/runtime';
import { z } from 'zod';
import { renderText, type RenderedFile } from './render-template.js';

/** The prompt files of the model generator (packages/agents/scaffold/prompts). */
export const PROMPTS_DIR = fileURLToPath(new URL('../prompts/', import.meta.url));

const MAX_FILES = 500;
const MAX_FILE_BYTES = 512 * 1024;
const MAX_TOTAL_BYTES = 4 * 1024 * 1024;

/** The JSON schema the model answers with. */
export const GENERATED_PROJECT_SCHEMA = {
  type: 'object',
  properties: {
    summary: { type: 'string' },
    files: {
      type: 'array',
      items: {
        type: 'object',
        properties: { path: { type: 'string' }, content: { type: 'string' }, executable: { type: 'boolean' } },
        required: ['path', 'content'],
      },
    },
  },
  required: ['summary', 'files'],
} as const;

const SafePath = z
  .string()
  .min(1)
  .max(300)
  .refine((p) => !p.startsWith('/') && !p.includes('\\') && !p.includes('\0'), 'must be a relative "/"-separated path')
  .refine((p) => p.split('/').every((part) => part !== '' && part !== '.' && part !== '..'), 'must not contain empty, "." or ".." segments')
  .refine((p) => p.split('/')[0] !== '.git', 'must not write under .git/');

const GeneratedProject = z.object({
  summary: z.string().max(4000).default(''),
  files: z
    .array(z.object({ path: SafePath, content: z.string().refine((c) => Buffer.byteLength(c) <= MAX_FILE_BYTES, `at most ${MAX_FILE_BYTES} bytes per file`), executable: z.boolean().default(false) }))
    .min(1)
    .max(MAX_FILES)
    .refine((f) => new Set(f.map((x) => x.path)).size === f.length, 'paths must be unique')
    .refine((f) => f.reduce((n, x) => n + Buffer.byteLength(x.content), 0) <= MAX_TOTAL_BYTES, `at most ${MAX_TOTAL_BYTES} bytes in all`),
});

async function prompt(name: string): Promise<string> {
  return readFile(`${PROMPTS_DIR}${name}.md`, 'utf8');
}

/**
 * Asks the configured model for a whole project (structured output: files + summary), checks every
 * path and size, and returns the files to commit. The validation stage judges the result like any
 * other scaffold.
 */
export async function generateWithModel(model: ModelClient | undefined, input: { name: string; requirements: string }): Promise<{ files: RenderedFile[]; summary: string }> {
  if (!model) throw new NonRetryableError('MODEL_NOT_CONFIGURED', 'the model generator needs BATON_MODEL_PROVIDER, BATON_MODEL_NAME and BATON_MODEL_API_KEY_SECRET on the scaffold agent');
  const user = renderText(await prompt('generate-project'), { name: input.name, requirements: input.requirements }, 'prompts/generate-project.md');
  const r = await model.complete({ system: await prompt('system'), messages: [{ role: 'user', content: user }], output: { name: 'project', schema: GENERATED_PROJECT_SCHEMA } });
  const parsed = GeneratedProject.safeParse(r.output);
  if (!parsed.success) {
    const why = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new StageFailure('MODEL_OUTPUT_INVALID', `the model's project is not usable: ${why}`);
  }
  const files = parsed.data.files.map((f) => ({ path: f.path, content: Buffer.from(f.content, 'utf8'), executable: f.executable })).sort((a, b) => a.path.localeCompare(b.path));
  return { files, summary: parsed.data.summary.slice(0, 4000) };
}
