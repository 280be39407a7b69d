import { stripAnsi } from '@baton/agent-kit';
/**
 * Type errors in TypeScript compiler output, plain (`src/a.ts(3,7): error TS2322: ...`) or pretty
 * (`src/a.ts:3:7 - error TS2322: ...`). null when the command failed without any recognisable error
 * (a crash, a missing compiler); 0 when it succeeded silently.
 */
export function parseTypeErrors(output: string, succeeded: boolean): number | null {
  const n = [...stripAnsi(output).matchAll(/\berror TS\d+:/g)].length;
  if (n > 0) return n;
  return succeeded ? 0 : null;
}
