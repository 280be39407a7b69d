import { join } from 'node:path';
import { projectScript, type PackageJson, type PackageManager } from '@baton/agent-kit';

export interface TestCommand {
  command: string | null;
  reason: string;
  /** Where Jest was asked to write its JSON results (`--json --outputFile`), when it was. */
  jestJson: string | null;
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A `test` script that is one plain Jest invocation (`jest`, `jest --coverage`): no other command,
 * no shell operators, no output options of its own. Only then are flags appended — through the
 * package manager, the project itself is not changed.
 */
export function isPlainJest(script: string): boolean {
  return /^\s*jest(\s+[^;&|<>`$()\\]*)?$/.test(script) && !/--(json|outputFile|watch|listTests|showConfig)\b/.test(script);
}

/**
 * The test step's command: configured (null = skip), else the `test` script with the project's
 * package manager — asking Jest for its JSON results on the side (it still prints its usual
 * output) when the script is a plain Jest call.
 */
export function testCommand(configured: string | null | undefined, pkg: PackageJson | null, pm: PackageManager | undefined, reportsDir: string): TestCommand {
  if (configured !== undefined) return { command: configured, reason: 'commands.test is null', jestJson: null };
  const script = pkg?.scripts?.test;
  const reason = pkg ? 'package.json has no "test" script' : 'no package.json';
  if (script && pm && isPlainJest(script)) {
    const file = join(reportsDir, 'jest-results.json');
    return { command: projectScript(pkg, 'test', pm, ['--json', `--outputFile=${shq(file)}`]), reason, jestJson: file };
  }
  return { command: projectScript(pkg, 'test', pm), reason, jestJson: null };
}
