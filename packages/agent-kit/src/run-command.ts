import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { CappedOutput } from './capped-output.js';
import { killProcessTree } from './process-tree.js';
import type { ProcessRegistry } from './process-registry.js';
import { redact } from './redact.js';
import { sandboxCommand, type Sandbox } from './sandbox.js';

export interface RunOptions {
  cwd: string;
  /** The complete environment of the command (build it from an allowlist; nothing is inherited). */
  env: Record<string, string>;
  timeoutMs: number;
  /** Aborting kills the command's whole process tree. */
  signal?: AbortSignal;
  /** Output kept (stdout and stderr interleaved), beginning and end (default 1 MiB). */
  maxOutputBytes?: number;
  /** Between SIGTERM and SIGKILL (default 3000 ms). */
  killGraceMs?: number;
  /** Secret values masked in the captured output. */
  redact?: readonly string[];
  /** Called with each chunk of output (already redacted). */
  onOutput?: (text: string) => void;
  /** Records the process group while it runs, so a later agent can reap it if this one dies. */
  registry?: ProcessRegistry;
  /**
   * Directories outside `cwd` the command reads (package managers and their shims, on its PATH) and
   * writes (npm/pnpm/yarn caches). Without a sandbox everything is reachable anyway; a sandbox must
   * make these available.
   */
  readDirs?: readonly string[];
  writeDirs?: readonly string[];
  /** Runs the command in this sandbox (project code); `network` says whether it may reach the network. */
  sandbox?: { sandbox: Sandbox; network: boolean };
}

export interface CommandResult {
  /** null when killed by a signal or when it could not be started. */
  exitCode: number | null;
  signal: string | null;
  ok: boolean;
  timedOut: boolean;
  aborted: boolean;
  /** stdout and stderr interleaved, capped, secrets masked. */
  output: string;
  /** stdout only (capped), for commands whose answer is their stdout. */
  stdout: string;
  truncated: boolean;
  durationMs: number;
  /** Set when the command could not be started (e.g. ENOENT). */
  spawnError?: string;
}

const DEFAULT_MAX_OUTPUT = 1024 * 1024;

/**
 * Runs a command in its own process group with a timeout, an abort signal and an output cap. On
 * timeout or abort the whole tree is killed (SIGTERM, then SIGKILL); when the command exits on its
 * own, whatever it left running in its group is killed too. Never rejects: failures are results.
 */
export function runCommand(file: string, args: readonly string[], opts: RunOptions): Promise<CommandResult> {
  const started = Date.now();
  const secrets = opts.redact ?? [];
  const combined = new CappedOutput(opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT);
  const stdout = new CappedOutput(opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT);
  const finish = (r: Pick<CommandResult, 'exitCode' | 'signal' | 'timedOut' | 'aborted'> & { spawnError?: string }): CommandResult => ({
    ...r,
    ok: r.exitCode === 0 && !r.timedOut && !r.aborted,
    output: redact(combined.toString() + (r.spawnError ? `\n${r.spawnError}` : ''), secrets),
    stdout: redact(stdout.toString(), secrets),
    truncated: combined.truncated,
    durationMs: Date.now() - started,
  });

  if (opts.signal?.aborted) return Promise.resolve(finish({ exitCode: null, signal: null, timedOut: false, aborted: true }));
  if (!existsSync(opts.cwd)) return Promise.resolve(finish({ exitCode: null, signal: null, timedOut: false, aborted: false, spawnError: `could not start ${file}: the directory ${opts.cwd} does not exist` }));

  return new Promise((resolve) => {
    const cmd = opts.sandbox
      ? sandboxCommand(opts.sandbox.sandbox, file, args, opts.env, { cwd: opts.cwd, readDirs: opts.readDirs, writeDirs: opts.writeDirs, network: opts.sandbox.network })
      : { file, args: [...args], env: opts.env };
    const child = spawn(cmd.file, cmd.args, { cwd: opts.cwd, env: cmd.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const closed = new Promise<void>((r) => child.once('close', () => r()));
    const untrack = child.pid !== undefined && opts.registry ? opts.registry.track(child.pid) : () => undefined;
    let timedOut = false;
    let aborted = false;
    let killing: Promise<boolean> | null = null;
    const grace = opts.killGraceMs ?? 3000;
    const kill = () => {
      if (child.pid !== undefined) killing ??= killProcessTree(child.pid, grace);
      return killing ?? Promise.resolve(true);
    };

    const onData = (isStdout: boolean) => (b: Buffer) => {
      combined.push(b);
      if (isStdout) stdout.push(b);
      opts.onOutput?.(redact(b.toString('utf8'), secrets));
    };
    child.stdout!.on('data', onData(true));
    child.stderr!.on('data', onData(false));

    const timer = setTimeout(() => {
      timedOut = true;
      void kill();
    }, opts.timeoutMs);
    const onAbort = () => {
      aborted = true;
      void kill();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };

    child.once('error', (e: Error) => {
      if (child.pid !== undefined) return; // errors after spawn are followed by 'exit'/'close'
      cleanup();
      if (cmd.tempDir) rmSync(cmd.tempDir, { recursive: true, force: true });
      resolve(finish({ exitCode: null, signal: null, timedOut, aborted, spawnError: `could not start ${file}: ${e.message}` }));
    });

    child.once('exit', (code, signal) => {
      // Whatever the command left behind in its group (or below it) goes too; then its pipes close.
      void (async () => {
        await kill();
        await Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]);
        child.stdout!.destroy();
        child.stderr!.destroy();
        untrack();
        cleanup();
        if (cmd.tempDir) rmSync(cmd.tempDir, { recursive: true, force: true });
        resolve(finish({ exitCode: code, signal, timedOut, aborted }));
      })();
    });
  });
}

/** Runs a command line with `/bin/sh -c`. */
export function runShell(line: string, opts: RunOptions): Promise<CommandResult> {
  return runCommand('/bin/sh', ['-c', line], opts);
}

/** A one-line description of how a command ended, for reports. */
export function describeOutcome(r: CommandResult, timeoutMs: number): string {
  if (r.spawnError) return r.spawnError;
  if (r.timedOut) return `timed out after ${timeoutMs} ms (process tree killed)`;
  if (r.aborted) return 'aborted (process tree killed)';
  if (r.signal) return `killed by ${r.signal}`;
  return `exited with code ${r.exitCode}`;
}
