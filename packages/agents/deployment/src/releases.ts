import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { freePort } from '@baton/agent-kit';
import type { StartSpec } from './start-spec.js';

export interface ReleaseMarker {
  sha: string;
  builtAt: string;
  start: StartSpec;
  /** The service's PATH: the project's package manager shims first (absent in releases built before them). */
  path?: string;
}

export const RELEASE_MARKER = '.baton-release.json';

/**
 * One app's directory on this host:
 *   releases/<sha>/   a built release (its marker file says it is complete)
 *   current           symlink to the release that serves (switched atomically)
 *   port, logs/, .deploy.lock
 */
export class AppReleases {
  constructor(readonly root: string) {}

  get releasesDir(): string {
    return join(this.root, 'releases');
  }
  get currentLink(): string {
    return join(this.root, 'current');
  }
  get logsDir(): string {
    return join(this.root, 'logs');
  }

  async init(): Promise<void> {
    await mkdir(this.releasesDir, { recursive: true });
    await mkdir(this.logsDir, { recursive: true });
  }

  dirOf(id: string): string {
    return join(this.releasesDir, id);
  }

  /** A scratch directory next to the releases (same filesystem, so it can be renamed into place). */
  tempDir(id: string): string {
    return join(this.releasesDir, `.tmp-${id.slice(0, 12)}-${randomBytes(4).toString('hex')}`);
  }

  async marker(id: string): Promise<ReleaseMarker | null> {
    try {
      return JSON.parse(await readFile(join(this.dirOf(id), RELEASE_MARKER), 'utf8')) as ReleaseMarker;
    } catch {
      return null;
    }
  }

  /** The release `current` points at, or null. */
  async current(): Promise<string | null> {
    try {
      return basename(await readlink(this.currentLink));
    } catch {
      return null;
    }
  }

  /** Points `current` at a release: a new symlink renamed over the old one (atomic). */
  async switchTo(id: string): Promise<void> {
    const tmp = join(this.root, `.current-${randomBytes(4).toString('hex')}`);
    await symlink(join('releases', id), tmp);
    await rename(tmp, this.currentLink);
  }

  async clearCurrent(): Promise<void> {
    await rm(this.currentLink, { force: true });
  }

  /** Built releases, newest first. */
  async list(): Promise<{ id: string; builtAt: string }[]> {
    const out: { id: string; builtAt: string }[] = [];
    for (const name of await readdir(this.releasesDir).catch(() => [])) {
      if (name.startsWith('.')) continue;
      const m = await this.marker(name);
      if (m) out.push({ id: name, builtAt: m.builtAt });
    }
    return out.sort((a, b) => b.builtAt.localeCompare(a.builtAt));
  }

  /**
   * Keeps `keep` releases — those in `protect` (the active and the previous one) first, then the
   * newest others — and deletes the rest. Returns those kept, newest first.
   */
  async prune(keep: number, protect: (string | null)[]): Promise<string[]> {
    const all = await this.list();
    const keepIds = new Set(all.filter((r) => protect.includes(r.id)).map((r) => r.id));
    for (const r of all) if (keepIds.size < keep) keepIds.add(r.id);
    for (const r of all) if (!keepIds.has(r.id)) await rm(this.dirOf(r.id), { recursive: true, force: true });
    const kept = all.filter((r) => keepIds.has(r.id)).map((r) => r.id);
    for (const name of await readdir(this.releasesDir).catch(() => [])) {
      if (name.startsWith('.tmp-')) await rm(join(this.releasesDir, name), { recursive: true, force: true });
    }
    return kept;
  }

  /** The app's port: the requested one, else the one chosen at its first deploy (kept in `port`). */
  async port(requested: number | null | undefined): Promise<number> {
    const file = join(this.root, 'port');
    if (requested) {
      await writeFile(file, String(requested));
      return requested;
    }
    const saved = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(saved) && saved > 0) return saved;
    const port = await freePort();
    await writeFile(file, String(port));
    return port;
  }
}
