import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where artifact bytes live. The filesystem store below is the default; every process that reads or
 * writes artifacts must see the same directory (a shared volume when agents run on several hosts).
 * An object-store implementation would satisfy the same interface.
 */
export interface ArtifactStore {
  /** Stores bytes; returns their sha256 (content address). Storing the same bytes twice is a no-op. */
  put(data: Buffer): Promise<string>;
  /** A stream of the bytes, or null when absent. */
  open(sha256: string): Promise<{ stream: ReadStream; size: number } | null>;
  remove(sha256: string): Promise<void>;
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
    const exists = await stat(dest).then(() => true, () => false);
    if (exists) return sha;
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
}
