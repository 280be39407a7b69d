import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '@baton/agent-kit';

/**
 * One deployment of an app at a time on this host: a lock file holding the owner's pid. A lock
 * whose owner died is taken over. Waits (until `signal` fires) while another deployment runs.
 */
export async function withAppLock<T>(appRoot: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  const path = join(appRoot, '.deploy.lock');
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e: unknown) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (!Number.isInteger(owner) || owner <= 0 || !isAlive(owner)) {
        await rm(path, { force: true });
        continue;
      }
      await sleep(250, undefined, { signal });
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
