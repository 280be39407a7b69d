import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NonRetryableError } from '@baton/runtime';
import { z } from 'zod';

/** template.json: what a template is and which variables it accepts. */
export const TemplateManifest = z
  .object({
    description: z.string(),
    kind: z.enum(['service', 'library']),
    variables: z.record(
      z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,63}$/),
      z.object({ default: z.string(), pattern: z.string().optional(), description: z.string().optional() }).strict(),
    ),
    /** Files stored under another name (npm and git tooling treat a literal .gitignore specially). */
    rename: z.record(z.string(), z.string()).default({}),
  })
  .strict();
export type TemplateManifest = z.infer<typeof TemplateManifest>;

export interface Template {
  id: string;
  manifest: TemplateManifest;
  /** The directory whose tree is rendered into the project. */
  filesDir: string;
}

const ID = /^[a-z][a-z0-9-]{0,62}$/;

/** Template ids in a catalogue directory. */
export async function listTemplates(catalogueDir: string): Promise<string[]> {
  const entries = await readdir(catalogueDir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && ID.test(e.name) && existsSync(join(catalogueDir, e.name, 'template.json'))).map((e) => e.name).sort();
}

/** Loads one template; an unknown id is a non-retryable UNKNOWN_TEMPLATE naming the ones there are. */
export async function loadTemplate(catalogueDir: string, id: string): Promise<Template> {
  const known = await listTemplates(catalogueDir);
  if (!ID.test(id) || !known.includes(id)) {
    throw new NonRetryableError('UNKNOWN_TEMPLATE', `no template "${id}"; available: ${known.join(', ') || '(none)'}`, { template: id, available: known });
  }
  const dir = join(catalogueDir, id);
  const parsed = TemplateManifest.safeParse(JSON.parse(await readFile(join(dir, 'template.json'), 'utf8')));
  if (!parsed.success) throw new NonRetryableError('TEMPLATE_INVALID', `template "${id}" has an invalid template.json: ${parsed.error.message}`);
  return { id, manifest: parsed.data, filesDir: join(dir, 'files') };
}
