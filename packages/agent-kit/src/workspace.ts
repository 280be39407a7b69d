import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { silentLog, type KitLog } from './kit-log.js';
import { isAlive, processStartTime } from './process-tree.js';

/** Marks a live workspace with its owning process; removed with the workspace (or when it is kept on purpose). */
const OWNER_SUFFIX = '.owner';

interface Owner {
  pid: number;
  start: string | null;
}

/** A scratch directory for one stage attempt (`<root>/<label>-XXXXXX`, owned via `<dir>.owner`). */
export class Workspace {
  private constructor(readonly dir: string) {}

  static async create(root: string, label: string, log: KitLog = silentLog): Promise<Workspace> {
    await mkdir(root, { recursive: true });
    await reapAbandonedWorkspaces(root, log);
    const safe = label.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
    const ws = new Workspace(await mkdtemp(join(root, `${safe}-`)));
    const owner: Owner = { pid: process.pid, start: processStartTime(process.pid) };
    await writeFile(ws.ownerFile, JSON.stringify(owner));
    return ws;
  }

  private get ownerFile(): string {
    return `${this.dir}${OWNER_SUFFIX}`;
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** Keeps the directory for a person to look at: nothing reaps it later. */
  async keep(): Promise<void> {
    await rm(this.ownerFile, { force: true });
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
    await rm(this.ownerFile, { force: true });
  }
}

/**
 * Removes the workspaces under `root` whose owning agent process is gone: an agent killed with -9
 * cannot clean up after itself, so the next stage on the same host does. Returns how many it removed.
 */
export async function reapAbandonedWorkspaces(root: string, log: KitLog = silentLog): Promise<number> {
  let names: string[];
  try {
    names = (await readdir(root)).filter((n) => n.endsWith(OWNER_SUFFIX));
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const marker = join(root, name);
    let owner: Owner | null = null;
    try {
      owner = JSON.parse(await readFile(marker, 'utf8')) as Owner;
    } catch {
      // unreadable: written by a process killed mid-write, so its owner is gone too
    }
    if (owner && isAlive(owner.pid) && (owner.start === null || processStartTime(owner.pid) === owner.start)) continue;
    const dir = marker.slice(0, -OWNER_SUFFIX.length);
    try {
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      await rm(marker, { force: true });
      removed++;
      log.warn({ workspace: basename(dir), ownerPid: owner?.pid ?? null }, 'removed a workspace left behind by a dead agent');
    } catch (e: unknown) {
      log.warn({ workspace: dir, err: String(e) }, 'could not remove an abandoned workspace');
    }
  }
  return removed;
}

/**
 * Runs `fn` in a fresh workspace under `root` and removes the workspace afterwards — unless `fn`
 * failed and `keepOnFailure` is set, in which case it stays for debugging and its path is logged.
 */
export async function withWorkspace<T>(
  root: string,
  label: string,
  opts: { keepOnFailure: boolean; log: KitLog },
  fn: (ws: Workspace) => Promise<T>,
): Promise<T> {
  const ws = await Workspace.create(root, label, opts.log);
  let failed = true;
  try {
    const out = await fn(ws);
    failed = false;
    return out;
  } finally {
    if (failed && opts.keepOnFailure) {
      await ws.keep();
      opts.log.warn({ workspace: ws.dir }, 'stage failed; workspace kept for debugging');
    } else {
      await ws.dispose().catch((e: unknown) => opts.log.warn({ workspace: ws.dir, err: String(e) }, 'could not remove workspace'));
    }
  }
}
