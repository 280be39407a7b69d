import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { KitLog } from './kit-log.js';

/** A scratch directory for one stage attempt (`<root>/<label>-XXXXXX`). */
export class Workspace {
  private constructor(readonly dir: string) {}

  static async create(root: string, label: string): Promise<Workspace> {
    await mkdir(root, { recursive: true });
    const safe = label.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
    return new Workspace(await mkdtemp(join(root, `${safe}-`)));
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
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
  const ws = await Workspace.create(root, label);
  let failed = true;
  try {
    const out = await fn(ws);
    failed = false;
    return out;
  } finally {
    if (failed && opts.keepOnFailure) {
      opts.log.warn({ workspace: ws.dir }, 'stage failed; workspace kept for debugging');
    } else {
      await ws.dispose().catch((e: unknown) => opts.log.warn({ workspace: ws.dir, err: String(e) }, 'could not remove workspace'));
    }
  }
}
