import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KitLog } from './kit-log.js';
import { isAlive, killProcessTree, processStartTime as startTime, processTree } from './process-tree.js';

interface Entry {
  pgid: number;
  /** Start time (clock ticks since boot) of the group leader, to recognise a reused pid. */
  start: string | null;
  owner: number;
  ownerStart: string | null;
}

/**
 * A directory of the process groups this host's agents started, one file each, removed when the
 * group is gone. An agent killed with -9 cannot stop what it started; the next agent to start with
 * the same registry kills the groups whose owner is dead (`reap`). Start times guard against pids
 * the kernel has reused since.
 */
export class ProcessRegistry {
  constructor(readonly dir: string) {}

  /** Records a process group this process leads; returns the function that forgets it. */
  track(pgid: number): () => void {
    const file = join(this.dir, `${pgid}.json`);
    try {
      mkdirSync(this.dir, { recursive: true });
      const entry: Entry = { pgid, start: startTime(pgid), owner: process.pid, ownerStart: startTime(process.pid) };
      writeFileSync(file, JSON.stringify(entry));
    } catch {
      return () => undefined; // best effort: the registry only matters after a crash
    }
    return () => rmSync(file, { force: true });
  }

  /** Kills the recorded groups whose owning agent process is dead; returns how many it stopped. */
  async reap(log: KitLog): Promise<number> {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.json'));
    } catch {
      return 0;
    }
    let reaped = 0;
    for (const name of names) {
      const file = join(this.dir, name);
      let e: Entry;
      try {
        e = JSON.parse(readFileSync(file, 'utf8')) as Entry;
      } catch {
        rmSync(file, { force: true });
        continue;
      }
      const ownerAlive = isAlive(e.owner) && (e.ownerStart === null || startTime(e.owner) === e.ownerStart);
      if (ownerAlive) continue;
      const leaderReused = isAlive(e.pgid) && e.start !== null && startTime(e.pgid) !== e.start;
      if (!leaderReused && processTree(e.pgid).length > 0) {
        log.warn({ pgid: e.pgid, owner: e.owner }, 'stopping processes left behind by a dead agent');
        await killProcessTree(e.pgid, 2000);
        reaped++;
      }
      rmSync(file, { force: true });
    }
    return reaped;
  }
}
