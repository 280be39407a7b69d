import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { processTree } from './process-tree.js';

/** A TCP socket a process listens on. */
export interface ListeningSocket {
  port: number;
  /** Where to reach it from this host: 127.0.0.1 for wildcard and loopback binds, [::1] for IPv6 loopback only, else the bound address. */
  host: string;
}

/** /proc/net/tcp's hex address (little-endian words) → text. */
function addressOf(hex: string, v6: boolean): string {
  if (!v6) return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => [3, 2, 1, 0].map((i) => w.slice(i * 2, i * 2 + 2)));
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(parseInt(bytes[i]! + bytes[i + 1]!, 16).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function reachableHost(addr: string): string {
  if (addr === '0.0.0.0' || addr === '::' || addr.startsWith('127.') || addr === '::ffff:7f00:1') return '127.0.0.1';
  if (addr === '::1') return '[::1]';
  return addr.includes(':') ? `[${addr}]` : addr;
}

/** Socket inodes the process has open (`/proc/<pid>/fd/* -> socket:[inode]`). */
function socketInodes(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return m ? [m[1]!] : [];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

/**
 * The TCP ports the process group `pgid` (and every descendant) listens on, read from Linux's /proc:
 * each process's socket inodes matched against the LISTEN entries of its network namespace's
 * `net/tcp` and `net/tcp6`. [] where /proc is not available (or nothing listens yet).
 */
export function listeningSockets(pgid: number): ListeningSocket[] {
  if (!existsSync('/proc/self/net/tcp')) return [];
  const pids = processTree(pgid);
  const inodes = new Set(pids.flatMap(socketInodes));
  if (inodes.size === 0) return [];
  const found = new Map<number, ListeningSocket>();
  const tables = new Set<string>();
  for (const pid of pids) for (const t of ['tcp', 'tcp6']) tables.add(`/proc/${pid}/net/${t}`);
  for (const table of tables) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9]!)) continue;
      const [addrHex, portHex] = f[1]!.split(':') as [string, string];
      const port = parseInt(portHex, 16);
      if (!found.has(port)) found.set(port, { port, host: reachableHost(addressOf(addrHex, table.endsWith('6'))) });
    }
  }
  return [...found.values()];
}
