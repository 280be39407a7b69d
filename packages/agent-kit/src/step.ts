import type { StepReport } from '@baton/contracts';
import { StageFailure, type ArtifactWriter } from '@baton/runtime';
import type { KitLog } from './kit-log.js';
import type { ProcessRegistry } from './process-registry.js';
import type { ProjectSetup } from './project-setup.js';
import { describeOutcome, runShell, type CommandResult } from './run-command.js';
import { SandboxUnavailable } from './sandbox-unavailable.js';
import type { Sandbox } from './sandbox.js';

/** What every project command of a stage shares. */
export interface StepContext {
  cwd: string;
  env: Record<string, string>;
  signal: AbortSignal;
  artifacts: ArtifactWriter;
  log: KitLog;
  /** Secret values masked in output and logs. */
  redact: readonly string[];
  maxOutputBytes: number;
  /** Prefix of the log artifacts' names (e.g. "validation/"). */
  artifactPrefix?: string;
  registry?: ProcessRegistry;
  /** The checkout's package manager and its environment (set by `prepareProject`). */
  project?: ProjectSetup;
  /** Directories outside the checkout the commands read / write (package managers, caches). */
  readDirs?: readonly string[];
  writeDirs?: readonly string[];
  /** Where project commands run (see sandbox.ts). */
  sandbox: Sandbox;
  /** The stage's live output (the runtime's `ctx.output`): each command's output, redacted, as it comes. */
  output?: { write(text: string): void };
}

export interface StepRun {
  report: StepReport;
  /** null when the step was skipped. */
  result: CommandResult | null;
}

/** A step that did not run. */
export function skippedStep(name: string, reason: string): StepRun {
  return { report: { name, command: null, status: 'skipped', exitCode: null, durationMs: 0, reason, log: null }, result: null };
}

/** Thrown when the stage's signal fired during a command: the runtime reports it as cancelled or timed out. */
export class StepAborted extends StageFailure {
  override name = 'StepAborted';
  constructor(step: string) {
    super('STEP_ABORTED', `${step} was aborted; its process tree was killed`, { retryable: false });
  }
}

/**
 * Runs one project command (`/bin/sh -c`) in the stage's sandbox (network only with `opts.network`) with its timeout and the stage's signal, stores its
 * output as the `<name>.log` artifact and reports it. Throws StepAborted when the stage's signal
 * fired; every other outcome (failure, timeout) is a report.
 */
export async function runStep(
  ctx: StepContext,
  name: string,
  command: string | null,
  timeoutMs: number,
  skipReason = 'not configured',
  opts: { network?: boolean } = {},
): Promise<StepRun> {
  if (command === null) return skippedStep(name, skipReason);
  if (ctx.sandbox.unavailable) throw new SandboxUnavailable(ctx.sandbox.unavailable);
  ctx.log.info({ step: name, command }, 'step started');
  const result = await runShell(command, {
    cwd: ctx.cwd,
    env: ctx.env,
    timeoutMs,
    signal: ctx.signal,
    maxOutputBytes: ctx.maxOutputBytes,
    redact: ctx.redact,
    ...(ctx.output ? { onOutput: (text: string) => ctx.output!.write(text) } : {}),
    ...(ctx.registry ? { registry: ctx.registry } : {}),
    ...(ctx.readDirs ? { readDirs: ctx.readDirs } : {}),
    ...(ctx.writeDirs ? { writeDirs: ctx.writeDirs } : {}),
    sandbox: { sandbox: ctx.sandbox, network: opts.network ?? false },
  });
  if (result.aborted) throw new StepAborted(name);
  const outcome = describeOutcome(result, timeoutMs);
  let log: string | null = null;
  try {
    const text = `$ ${command}\n${result.output}${result.output.endsWith('\n') ? '' : '\n'}[${outcome}; ${result.durationMs} ms]\n`;
    log = (await ctx.artifacts.save(`${ctx.artifactPrefix ?? ''}${name}.log`, text)).id;
  } catch (e: unknown) {
    ctx.log.warn({ step: name, err: e instanceof Error ? e.message : String(e) }, 'could not store the step log');
  }
  const status = result.ok ? 'passed' : result.timedOut ? 'timed-out' : 'failed';
  ctx.log.info({ step: name, status, exitCode: result.exitCode, durationMs: result.durationMs }, 'step finished');
  return {
    report: { name, command, status, exitCode: result.exitCode, durationMs: result.durationMs, ...(result.ok ? {} : { reason: outcome }), log },
    result,
  };
}

/** The last `lines` lines of a step's output, for error messages. */
export function outputTail(run: StepRun, lines = 20): string {
  return (run.result?.output ?? '').trimEnd().split('\n').slice(-lines).join('\n').slice(-3000);
}
