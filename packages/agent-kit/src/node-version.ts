import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import type { PackageJson } from './node-project.js';

/** What the agent does when the project wants another Node: report it (default), fail the stage, or not look. */
export type NodeVersionPolicy = 'warn' | 'fail' | 'off';

/** nvm's LTS code names (`lts/iron` in .nvmrc) → their major version. */
const LTS: Record<string, number> = { argon: 4, boron: 6, carbon: 8, dubnium: 10, erbium: 12, fermium: 14, gallium: 16, hydrogen: 18, iron: 20, jod: 22, krypton: 24 };

export interface NodeRequirement {
  /** Where it was read: `engines.node`, `.nvmrc`, `.node-version`. */
  file: string;
  wanted: string;
}

export interface NodeVersionCheck {
  requirements: NodeRequirement[];
  /** One line per requirement the running Node does not meet (or that cannot be checked). */
  problems: string[];
}

async function firstLine(path: string): Promise<string | null> {
  try {
    const line = (await readFile(path, 'utf8')).split('\n').find((l) => l.trim() && !l.trim().startsWith('#'));
    return line ? line.trim() : null;
  } catch {
    return null;
  }
}

/**
 * A version file's value as a semver range: `20`, `v20.11.0` and `lts/iron` need that major
 * version (nvm would install the newest of that line, and patch levels are not worth a warning);
 * `node`, `stable`, `latest` and `lts/*` say nothing checkable.
 */
function rangeOfVersionFile(value: string): string | null {
  const v = value.replace(/^v/, '');
  const lts = /^lts\/(\w+)$/i.exec(v)?.[1]?.toLowerCase();
  if (lts) return LTS[lts] ? `${LTS[lts]}.x` : null;
  const major = /^(\d+)(?:\.\d+){0,2}$/.exec(v)?.[1];
  return major ? `${major}.x` : null;
}

/** Reads `engines.node`, `.nvmrc` and `.node-version` and checks them against `running` (the agent's Node). */
export async function checkNodeVersion(dir: string, pkg: PackageJson | null, running: string = process.versions.node): Promise<NodeVersionCheck> {
  const requirements: NodeRequirement[] = [];
  const problems: string[] = [];
  const engines = pkg?.engines?.node;
  if (typeof engines === 'string' && engines.trim()) {
    requirements.push({ file: 'engines.node', wanted: engines.trim() });
    if (semver.validRange(engines) === null) problems.push(`package.json engines.node "${engines}" is not a valid version range`);
    else if (!semver.satisfies(running, engines, { includePrerelease: true })) problems.push(`package.json engines.node wants "${engines}", the agent runs Node ${running}`);
  }
  for (const file of ['.nvmrc', '.node-version']) {
    const value = await firstLine(join(dir, file));
    if (!value) continue;
    requirements.push({ file, wanted: value });
    const range = rangeOfVersionFile(value);
    if (range && !semver.satisfies(running, range)) problems.push(`${file} wants Node ${value}, the agent runs Node ${running}`);
  }
  return { requirements, problems };
}
