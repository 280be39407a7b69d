import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { NonRetryableError } from '@baton/runtime';

/** The checkout holds a symlink where the template writes: the stage refuses rather than write through it. */
export class SymlinkInPathError extends NonRetryableError {
  constructor(path: string, link: string) {
    super('SYMLINK_IN_PATH', `refusing to write ${path}: ${link} is a symbolic link in the target branch (the scaffold never writes through symlinks)`, { path, link });
  }
}

async function kindOf(path: string): Promise<'missing' | 'symlink' | 'dir' | 'other'> {
  try {
    const st = await lstat(path);
    return st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'other';
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw e;
  }
}

/**
 * Writes `content` to `relPath` (slash-separated, relative) under `root` without following a
 * symbolic link anywhere on the way: each directory component is checked with lstat (and created
 * when missing), and the file is opened with O_NOFOLLOW. `root` itself is the agent's own checkout.
 */
export async function writeNoFollow(root: string, relPath: string, content: string | Uint8Array, executable = false): Promise<void> {
  const parts = relPath.split('/');
  let dir = root;
  for (const [i, part] of parts.entries()) {
    const path = join(dir, part);
    const shown = parts.slice(0, i + 1).join('/');
    const kind = await kindOf(path);
    if (kind === 'symlink') throw new SymlinkInPathError(relPath, shown);
    if (i === parts.length - 1) break;
    if (kind === 'missing') await mkdir(path);
    else if (kind !== 'dir') throw new NonRetryableError('PATH_NOT_A_DIRECTORY', `refusing to write ${relPath}: ${shown} is not a directory in the target branch`, { path: relPath });
    dir = path;
  }
  const file = join(root, ...parts);
  let fh;
  try {
    fh = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new SymlinkInPathError(relPath, relPath);
    throw e;
  }
  try {
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
  if (executable) await chmod(file, 0o755);
}
