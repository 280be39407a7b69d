import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChildMessage } from './children/ipc.js';

type Of<T extends ChildMessage['type']> = Extract<ChildMessage, { type: T }>;

/** CPU seconds (user + system) a process used so far, from /proc (NaN where there is none). */
export function procCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** A benchmark child process (children/<name>.js) with IPC: configuration in, readiness and figures out. */
export class Child {
  private readonly queue: ChildMessage[] = [];
  private waiter: (() => void) | null = null;
  private readonly exited: Promise<void>;
  private output = '';

  private constructor(private readonly proc: ChildProcess) {
    proc.on('message', (m: ChildMessage) => {
      this.queue.push(m);
      this.waiter?.();
    });
    const keep = (b: Buffer) => {
      this.output = (this.output + b.toString()).slice(-20_000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    this.exited = new Promise((r) =>
      proc.once('exit', () => {
        this.waiter?.();
        r();
      }),
    );
  }

  static async start(name: string, config: unknown, timeoutMs = 120_000): Promise<Child> {
    const file = fileURLToPath(new URL(`./children/${name}.js`, import.meta.url));
    const proc = fork(file, [], {
      env: { ...process.env, BENCH_CONFIG: JSON.stringify(config), LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // e.g. BENCH_CHILD_EXEC_ARGV='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the children.
      execArgv: (process.env.BENCH_CHILD_EXEC_ARGV ?? '').split(' ').filter(Boolean),
    });
    const child = new Child(proc);
    await child.next('ready', timeoutMs);
    return child;
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** CPU seconds (user + system) the child used so far, from /proc (NaN where there is none). */
  cpuSeconds(): number {
    return procCpuSeconds(this.pid);
  }

  /** The next message of a type (earlier messages of other types are dropped). */
  async next<T extends ChildMessage['type']>(type: T, timeoutMs = 600_000): Promise<Of<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.queue.findIndex((m) => m.type === type);
      if (i >= 0) return this.queue.splice(i, 1)[0] as Of<T>;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        throw new Error(`child exited (${this.proc.exitCode ?? this.proc.signalCode}) before '${type}':\n${this.output.slice(-3000)}`);
      }
      if (Date.now() > deadline) throw new Error(`child: no '${type}' within ${timeoutMs} ms:\n${this.output.slice(-3000)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(1000, Math.max(1, deadline - Date.now())));
        this.waiter = () => {
          clearTimeout(t);
          r();
        };
      });
      this.waiter = null;
    }
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.send('stop');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(t);
  }
}
