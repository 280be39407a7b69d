import { fileURLToPath } from 'node:url';
import type { SdlcAgentConfig } from '@baton/agent-kit';

export interface ScaffoldConfig extends SdlcAgentConfig {
  /** The template catalogue: one directory per template (template.json + files/). */
  templatesDir: string;
}

/** The catalogue shipped with this package (packages/agents/scaffold/templates). */
export const BUILTIN_TEMPLATES_DIR = fileURLToPath(new URL('../templates/', import.meta.url));
