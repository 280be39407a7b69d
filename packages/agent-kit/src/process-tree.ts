import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** One line of the process table (Linux /proc). */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** R, S, D, Z (zombie), ... */
  state: string;
}

const HAS_PROC = existsSync('/proc/self/stat');

function readStat(pid: number | string): ProcessInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: parse after the last ")".
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid: Number(pid), state: rest[0] ?? '?', ppid: Number(rest[1]), pgid: Number(rest[2]) };
  } catch {
    return null;
  }
}

/** The live (non-zombie) processes of this host, or [] where /proc is not available. */
export function listProcesses(): ProcessInfo[] {
  if (!HAS_PROC) return [];
  const out: ProcessInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readStat(name);
    if (p && p.state !== 'Z' && p.state !== 'X') out.push(p);
  }
  return out;
}

/** The process's start time (clock ticks since boot), to tell it from a later process given the same pid; null if unknown. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  if (HAS_PROC) {
    const p = readStat(pid);
    return p !== null && p.state !== 'Z' && p.state !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: unknown) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The processes of group `pgid` plus everything descended from them, including descendants that
 * started a group or session of their own (a daemonizing app). Empty without /proc.
 */
export function processTree(pgid: number): number[] {
  const procs = listProcesses();
  const children = new Map<number, number[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const found = new Set<number>();
  const stack = procs.filter((p) => p.pgid === pgid || p.pid === pgid).map((p) => p.pid);
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (found.has(pid)) continue;
    found.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return [...found];
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function send(pgid: number, pids: Iterable<number>, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone (or empty)
  }
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function anyAlive(pgid: number, pids: Iterable<number>): boolean {
  if (!HAS_PROC) return groupAlive(pgid);
  for (const pid of pids) if (isAlive(pid)) return true;
  return processTree(pgid).length > 0;
}

async function waitGone(pgid: number, pids: Set<number>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!anyAlive(pgid, pids)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
}

/**
 * Stops process group `pgid` (a child spawned `detached`) and every process descended from it:
 * SIGTERM, then SIGKILL for whatever is still alive after `graceMs`. Resolves once they are all
 * gone, or after a last 5 s wait; returns whether they are.
 */
export async function killProcessTree(pgid: number, graceMs = 3000): Promise<boolean> {
  const targets = new Set(processTree(pgid));
  if (!anyAlive(pgid, targets)) return true;
  send(pgid, targets, 'SIGTERM');
  if (await waitGone(pgid, targets, graceMs)) return true;
  // Processes started since the first snapshot, plus the survivors.
  const now = new Set([...processTree(pgid), ...[...targets].filter(isAlive)]);
  send(pgid, now, 'SIGKILL');
  return waitGone(pgid, now, 5000);
}
