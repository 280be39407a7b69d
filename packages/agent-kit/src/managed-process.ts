import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { CappedOutput } from './capped-output.js';
import type { ProcessRegistry } from './process-registry.js';
import { killProcessTree } from './process-tree.js';
import { redact } from './redact.js';
import { SandboxUnavailable } from './sandbox-unavailable.js';
import { sandboxCommand, type Sandbox } from './sandbox.js';

export interface ManagedProcessOptions {
  cwd: string;
  env: Record<string, string>;
  /** Aborting stops the process tree at once. */
  signal?: AbortSignal;
  maxOutputBytes?: number;
  killGraceMs?: number;
  redact?: readonly string[];
  /** Records the process group while it runs, so a later agent can reap it if this one dies. */
  registry?: ProcessRegistry;
  /** As RunOptions: directories outside `cwd` the app reads (tools on its PATH) and writes (caches). */
  readDirs?: readonly string[];
  writeDirs?: readonly string[];
  /** Runs the app in this sandbox (with network: it serves the checks). */
  sandbox?: Sandbox;
}

export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

/**
 * A long-running command (an app under test) in its own process group. `stop()` kills the whole
 * tree — the group and any descendant that left it — and resolves when nothing of it is left.
 */
export class ManagedProcess {
  private readonly out: CappedOutput;
  private exitInfo: ExitInfo | null = null;
  private stopping: Promise<boolean> | null = null;
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;

  private constructor(
    private readonly opts: ManagedProcessOptions,
    line: string,
  ) {
    this.out = new CappedOutput(opts.maxOutputBytes ?? 1024 * 1024);
    const cmd = opts.sandbox
      ? sandboxCommand(opts.sandbox, '/bin/sh', ['-c', line], opts.env, { cwd: opts.cwd, readDirs: opts.readDirs, writeDirs: opts.writeDirs, network: true })
      : { file: '/bin/sh', args: ['-c', line], env: opts.env };
    const child = spawn(cmd.file, cmd.args, { cwd: opts.cwd, env: cmd.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (b: Buffer) => this.out.push(b));
    child.stderr!.on('data', (b: Buffer) => this.out.push(b));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
      child.once('error', (e) => {
        this.out.push(Buffer.from(`\ncould not start: ${e.message}\n`));
        this.exitInfo ??= { code: null, signal: null };
        resolve(this.exitInfo);
      });
    });
    this.pid = child.pid ?? -1;
    const untrack = this.pid > 0 && opts.registry ? opts.registry.track(this.pid) : () => undefined;
    void this.exited.then(async () => {
      // The leader is gone; forget the group once nothing of it is left either.
      await this.stop();
      untrack();
      if (cmd.tempDir) rmSync(cmd.tempDir, { recursive: true, force: true });
    });
    opts.signal?.addEventListener('abort', () => void this.stop(), { once: true });
  }

  /** Starts `/bin/sh -c <line>` detached. */
  static start(line: string, opts: ManagedProcessOptions): ManagedProcess {
    if (opts.sandbox?.unavailable) throw new SandboxUnavailable(opts.sandbox.unavailable);
    return new ManagedProcess(opts, line);
  }

  /** How it exited, or null while it runs. */
  get exit(): ExitInfo | null {
    return this.exitInfo;
  }

  /** Its captured output so far (capped, secrets masked). */
  output(): string {
    return redact(this.out.toString(), this.opts.redact ?? []);
  }

  /** Kills the process tree (SIGTERM, then SIGKILL); resolves true when nothing of it is left. */
  stop(): Promise<boolean> {
    this.stopping ??= this.pid > 0 ? killProcessTree(this.pid, this.opts.killGraceMs ?? 3000) : Promise.resolve(true);
    return this.stopping;
  }
}
