import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './processes.js';

const run = promisify(execFile);

export interface Pm2Process {
  name: string;
  pm_id: number;
  pid: number;
  pm2_env: { status: string; restart_time: number; exit_code?: number; NODE_APP_INSTANCE?: number };
}

/** The PM2 CLI from the workspace, with its own PM2_HOME so tests never touch a real PM2. */
export class Pm2 {
  readonly home = mkdtempSync(join(tmpdir(), 'baton-pm2-'));

  constructor(private readonly env: Record<string, string>) {}

  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run(join(REPO_ROOT, 'node_modules/.bin/pm2'), args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.env, PM2_HOME: this.home },
      maxBuffer: 20 * 1024 * 1024,
    });
    return stdout;
  }

  async list(): Promise<Pm2Process[]> {
    return JSON.parse(await this.cli('jlist')) as Pm2Process[];
  }

  /** PM2's own log (app exits and restarts are recorded there). */
  daemonLog(): string {
    return join(this.home, 'pm2.log');
  }

  async kill(): Promise<void> {
    await this.cli('kill').catch(() => undefined);
    rmSync(this.home, { recursive: true, force: true });
  }
}
