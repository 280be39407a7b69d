import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Git } from '@baton/agent-kit';
import { NonRetryableError, StageFailure, type ModelClient } from '@baton/runtime';
import { z } from 'zod';

/** The prompt files of the model merge strategy (packages/agents/integration/prompts). */
export const PROMPTS_DIR = fileURLToPath(new URL('../prompts/', import.meta.url));

const MAX_FILE_BYTES = 100 * 1024;
const MAX_TOTAL_BYTES = 400 * 1024;
const MARKERS = /^(<{7}|>{7})( |$)|^={7}$/m;

export const RESOLUTION_SCHEMA = {
  type: 'object',
  properties: {
    files: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' }, note: { type: 'string' } }, required: ['path', 'content'] },
    },
  },
  required: ['files'],
} as const;

const Resolution = z.object({ files: z.array(z.object({ path: z.string(), content: z.string(), note: z.string().max(1000).default('') })) });

/** What the model changed in one conflicted file. */
export interface ModelResolution {
  path: string;
  note: string;
}

async function stageText(git: Git, repo: string, stage: 1 | 2 | 3, path: string): Promise<string> {
  const r = await git.run(['show', `:${stage}:${path}`], repo);
  return r.ok ? r.stdout : '(absent on this side)';
}

/**
 * Asks the model to resolve the conflicted files of the merge in progress, writes its versions and
 * stages them. Refuses answers that miss a file, name another one, or still hold conflict markers.
 */
export async function resolveWithModel(git: Git, repo: string, files: string[], model: ModelClient | undefined, where: { source: string; target: string }): Promise<ModelResolution[]> {
  if (!model) throw new NonRetryableError('MODEL_NOT_CONFIGURED', 'strategy "model" needs BATON_MODEL_PROVIDER, BATON_MODEL_NAME and BATON_MODEL_API_KEY_SECRET on the integration agent');
  const parts: string[] = [];
  let total = 0;
  for (const path of files) {
    const conflicted = await readFile(join(repo, path), 'utf8');
    if (Buffer.byteLength(conflicted) > MAX_FILE_BYTES || conflicted.includes('\0')) {
      throw new NonRetryableError('MERGE_CONFLICT', `${path} is binary or larger than ${MAX_FILE_BYTES} bytes: strategy "model" resolves text files only`, { files, strategy: 'model' });
    }
    const part = `## ${path}\n### base\n${await stageText(git, repo, 1, path)}\n### ours (${where.target})\n${await stageText(git, repo, 2, path)}\n### theirs (${where.source})\n${await stageText(git, repo, 3, path)}\n### with conflict markers\n${conflicted}\n`;
    total += Buffer.byteLength(part);
    if (total > MAX_TOTAL_BYTES) throw new NonRetryableError('MERGE_CONFLICT', `the conflicts are too large (over ${MAX_TOTAL_BYTES} bytes) for strategy "model"`, { files, strategy: 'model' });
    parts.push(part);
  }
  const template = await readFile(`${PROMPTS_DIR}resolve-conflicts.md`, 'utf8');
  const vars: Record<string, string> = { source: where.source, target: where.target, files: parts.join('\n') };
  const user = template.replace(/\{\{(\w+)\}\}/g, (_m, k: string) => vars[k] ?? '');
  const r = await model.complete({ system: await readFile(`${PROMPTS_DIR}system.md`, 'utf8'), messages: [{ role: 'user', content: user }], output: { name: 'resolution', schema: RESOLUTION_SCHEMA } });
  const parsed = Resolution.safeParse(r.output);
  if (!parsed.success) throw new StageFailure('MODEL_OUTPUT_INVALID', `the model's resolution is not usable: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const byPath = new Map(parsed.data.files.map((f) => [f.path, f]));
  const missing = files.filter((f) => !byPath.has(f));
  const extra = [...byPath.keys()].filter((p) => !files.includes(p));
  const marked = [...byPath.values()].filter((f) => MARKERS.test(f.content)).map((f) => f.path);
  if (missing.length || extra.length || marked.length) {
    const why = [missing.length ? `missing ${missing.join(', ')}` : '', extra.length ? `not conflicted: ${extra.join(', ')}` : '', marked.length ? `still has conflict markers: ${marked.join(', ')}` : ''].filter(Boolean).join('; ');
    throw new StageFailure('MODEL_OUTPUT_INVALID', `the model's resolution does not resolve the conflicts: ${why}`);
  }
  for (const path of files) {
    await writeFile(join(repo, path), byPath.get(path)!.content);
    await git.must(['add', '--', path], repo);
  }
  return files.map((path) => ({ path, note: byPath.get(path)!.note }));
}
