import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { NonRetryableError } from '@baton/runtime';

/** The prompt files shipped beside the agent (packages/agents/llm/prompts). */
export const PROMPT_DIR = fileURLToPath(new URL('../prompts/', import.meta.url));

export async function loadPrompt(name: string, dir = PROMPT_DIR): Promise<string> {
  try {
    return await readFile(`${dir}${name}.md`, 'utf8');
  } catch {
    throw new NonRetryableError('PROMPT_NOT_FOUND', `no prompt file "${name}.md" beside the llm agent`, { prompt: name });
  }
}
