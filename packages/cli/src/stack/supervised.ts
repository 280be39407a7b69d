import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

export interface SupervisedSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Restart after an unexpected exit (with back-off, at most 5 times a minute). */
  restart: boolean;
}

/** A child process of the dev stack: output to a log file, restarted if it dies unexpectedly. */
export class Supervised {
  private child: ChildProcess | null = null;
  private stopping = false;
  private restarts: number[] = [];
  private readonly log: WriteStream;

  constructor(
    private readonly spec: SupervisedSpec,
    private readonly say: (msg: string) => void,
  ) {
    this.log = createWriteStream(spec.logFile, { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const child = spawn(this.spec.command, this.spec.args, { env: this.spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.pipe(this.log, { end: false });
    child.stderr!.pipe(this.log, { end: false });
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      const now = Date.now();
      this.restarts = [...this.restarts.filter((t) => now - t < 60_000), now];
      if (!this.spec.restart || this.restarts.length > 5) {
        this.say(`${this.spec.name} exited (${signal ?? `code ${code}`}); see ${this.spec.logFile}`);
        return;
      }
      this.say(`${this.spec.name} exited (${signal ?? `code ${code}`}); restarting`);
      setTimeout(() => this.start(), 1000 * this.restarts.length).unref();
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    this.log.end();
  }
}
