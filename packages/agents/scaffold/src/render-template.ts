import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import type { TemplateOptions } from '@baton/contracts';
import { NonRetryableError } from '@baton/runtime';
import type { Template } from './template-catalogue.js';

export interface RenderedFile {
  /** POSIX path relative to the project root. */
  path: string;
  content: Buffer;
  executable: boolean;
}

const PLACEHOLDER = /\{\{\s*([a-zA-Z][a-zA-Z0-9_]*)\s*\}\}/g;

/** Variables every template gets, besides those its manifest declares. */
export interface BuiltinVariables {
  name: string;
  template: string;
  runId: string;
}

/**
 * The variables for a render: built-ins, then each declared variable from `options` (checked
 * against its pattern) or its default. Options the template does not declare are refused.
 */
export function templateVariables(template: Template, builtins: BuiltinVariables, options: TemplateOptions): Record<string, string> {
  const declared = template.manifest.variables;
  const unknown = Object.keys(options).filter((k) => !(k in declared));
  if (unknown.length > 0) {
    throw new NonRetryableError('INVALID_TEMPLATE_OPTIONS', `template "${template.id}" has no option ${unknown.map((u) => `"${u}"`).join(', ')}; it accepts: ${Object.keys(declared).join(', ') || '(none)'}`, {
      unknown,
    });
  }
  const vars: Record<string, string> = { ...builtins };
  for (const [key, spec] of Object.entries(declared)) {
    const value = key in options ? String(options[key]) : spec.default;
    if (spec.pattern && !new RegExp(spec.pattern).test(value)) {
      throw new NonRetryableError('INVALID_TEMPLATE_OPTIONS', `option "${key}" of template "${template.id}" must match ${spec.pattern}`, { option: key });
    }
    vars[key] = value;
  }
  return vars;
}

/** Replaces every `{{ variable }}`; a placeholder without a variable is a defect of the template. */
export function renderText(text: string, vars: Readonly<Record<string, string>>, where: string): string {
  return text.replace(PLACEHOLDER, (_, key: string) => {
    const v = vars[key];
    if (v === undefined) throw new NonRetryableError('TEMPLATE_INVALID', `${where} uses {{${key}}}, which is not a variable of this template`);
    return v;
  });
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(full)));
    else if (e.isFile()) out.push(full);
  }
  return out;
}

/** Renders every file of a template: placeholders in paths and text contents; binary files are copied. */
export async function renderTemplate(template: Template, vars: Readonly<Record<string, string>>): Promise<RenderedFile[]> {
  const files: RenderedFile[] = [];
  for (const full of (await walk(template.filesDir)).sort()) {
    const rel = relative(template.filesDir, full).split(sep).join(posix.sep);
    const renamed = rel
      .split('/')
      .map((part) => template.manifest.rename[part] ?? part)
      .join('/');
    const path = renderText(renamed, vars, `the path ${rel}`);
    if (path.split('/').some((p) => p === '' || p === '.' || p === '..')) throw new NonRetryableError('TEMPLATE_INVALID', `template path ${rel} renders to an unsafe path`);
    const raw = await readFile(full);
    const binary = raw.includes(0);
    const content = binary ? raw : Buffer.from(renderText(raw.toString('utf8'), vars, rel), 'utf8');
    files.push({ path, content, executable: ((await stat(full)).mode & 0o111) !== 0 });
  }
  return files;
}
