/** How to run a release's start command under a process manager. */
export interface StartSpec {
  /** The command as configured (for reports). */
  command: string;
  script: string;
  args: string[];
  /** node: run `script` with Node; none: exec it (here, /bin/sh -c <command>). */
  kind: 'node' | 'shell';
}

const NODE_SCRIPT = /^node\s+([\w./@-]+\.(?:c|m)?js)((?:\s+[\w./@=:,-]+)*)\s*$/;

/**
 * `node dist/server.js --flag` runs as a Node script (PM2 then sees the real process); anything
 * else runs through `/bin/sh -c`.
 */
export function startSpec(command: string): StartSpec {
  const trimmed = command.trim();
  const m = NODE_SCRIPT.exec(trimmed);
  if (m) return { command: trimmed, script: m[1]!, args: (m[2] ?? '').trim().split(/\s+/).filter(Boolean), kind: 'node' };
  return { command: trimmed, script: '/bin/sh', args: ['-c', trimmed], kind: 'shell' };
}
