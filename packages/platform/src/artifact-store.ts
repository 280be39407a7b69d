import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where artifact bytes live. The filesystem store below is the default; every process that reads or
 * writes artifacts must see the same directory (a shared volume when agents run on several hosts).
 * An object-store implementation would satisfy the same interface.
 */
export interface ArtifactStore {
  /**
   * Stores bytes; returns their sha256 (content address). Storing the same bytes twice writes them
   * once, but marks them touched now: the writer references them (see `removeIfUntouched`).
   */
  put(data: Buffer): Promise<string>;
  /** A stream of the bytes, or null when absent. */
  open(sha256: string): Promise<{ stream: ReadStream; size: number } | null>;
  remove(sha256: string): Promise<void>;
  /**
   * Deletes the bytes unless a `put` touched them within `graceMs`; true when they are gone. A put
   * racing the deletion either touched them first (they are kept) or finds them gone and writes
   * them again, so a writer about to record its reference never loses the file.
   */
  removeIfUntouched(sha256: string, graceMs: number): Promise<boolean>;
}

export class FsArtifactStore implements ArtifactStore {
  constructor(readonly root: string) {}

  private path(sha: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha)) throw new Error('invalid artifact address');
    return join(this.root, sha.slice(0, 2), sha);
  }

  async put(data: Buffer): Promise<string> {
    const sha = createHash('sha256').update(data).digest('hex');
    const dest = this.path(sha);
    const now = new Date();
    // Already stored: touch it (the caller is about to reference it). Gone in between (the GC took
    // it): write it again.
    if (await utimes(dest, now, now).then(() => true, () => false)) return sha;
    await mkdir(join(this.root, sha.slice(0, 2)), { recursive: true });
    // Write then rename: readers never see a partial file.
    const tmp = `${dest}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, dest);
    return sha;
  }

  async open(sha: string): Promise<{ stream: ReadStream; size: number } | null> {
    const p = this.path(sha);
    const st = await stat(p).catch(() => null);
    return st ? { stream: createReadStream(p), size: st.size } : null;
  }

  async remove(sha: string): Promise<void> {
    await rm(this.path(sha), { force: true });
  }

  async removeIfUntouched(sha: string, graceMs: number): Promise<boolean> {
    const p = this.path(sha);
    // Moved aside first (atomic): a put from now on finds no file and writes a new one; a put that
    // touched it before shows in its time. Putting it back is safe even over a newer copy: same bytes.
    const aside = `${p}.${randomBytes(6).toString('hex')}.gc`;
    if (!(await rename(p, aside).then(() => true, () => false))) return true;
    const st = await stat(aside);
    if (Date.now() - st.mtimeMs < graceMs) {
      await rename(aside, p);
      return false;
    }
    await rm(aside, { force: true });
    return true;
  }
}
