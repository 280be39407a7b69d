import { stripAnsi } from '@baton/agent-kit';
interface EslintFileResult {
  errorCount?: number;
  warningCount?: number;
  fatalErrorCount?: number;
}

function eslintJson(text: string): { errors: number; warnings: number } | null {
  const start = text.indexOf('[{');
  if (start < 0) return null;
  try {
    const parsed: unknown = JSON.parse(text.slice(start, text.lastIndexOf(']') + 1));
    if (!Array.isArray(parsed) || !parsed.every((r) => typeof r === 'object' && r !== null && 'errorCount' in r)) return null;
    const rows = parsed as EslintFileResult[];
    return { errors: rows.reduce((s, r) => s + (r.errorCount ?? 0), 0), warnings: rows.reduce((s, r) => s + (r.warningCount ?? 0), 0) };
  } catch {
    return null;
  }
}

/**
 * Lint counts: ESLint's JSON formatter (`--format json`), or the summary line of its default
 * ("stylish") formatter — `✖ 3 problems (1 error, 2 warnings)` — which the scaffolded projects'
 * linter prints too. A silent success is 0/0; a failure without a recognisable summary is null.
 */
export function parseLintCounts(output: string, succeeded: boolean): { errors: number; warnings: number } | null {
  const text = stripAnsi(output);
  const json = eslintJson(text);
  if (json) return json;
  const m = /(\d+)\s+problems?\s+\((\d+)\s+errors?,\s+(\d+)\s+warnings?\)/.exec(text);
  if (m) return { errors: Number(m[2]), warnings: Number(m[3]) };
  return succeeded ? { errors: 0, warnings: 0 } : null;
}
