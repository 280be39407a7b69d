import fc from 'fast-check';
import { formatCommand, modelSequence, type ModelCommand } from './commands.js';
import { checkSequence, type SequenceVerdict } from './invariants.js';
import { ModelStack } from './model-stack.js';
import { executeSequence, newScope } from './runner.js';

export interface ModelOptions {
  /** Sequences to generate (shrinking runs come on top). */
  sequences: number;
  /** Commands per sequence. */
  minCommands: number;
  maxCommands: number;
  seed: number;
  /** fast-check's replay path of a reported failure (with its seed: replays that counterexample first). */
  path?: string;
  /** Stop shrinking after this long (the stack is real: each shrink step is a full sequence). */
  shrinkBudgetMs: number;
  /** Stop generating and shrinking after this long in all (default: 2 min per sequence plus the shrink budget). */
  timeLimitMs?: number;
  logDir: string | null;
  log(message: string): void;
}

export interface ModelReport {
  seed: number;
  ok: boolean;
  sequencesGenerated: number;
  sequencesExecuted: number;
  commandsExecuted: number;
  runs: number;
  executions: number;
  reexecutions: number;
  overlaps: number;
  longestOverlapMs: number;
  deletedByRetention: number;
  retryEvents: number;
  /** The longest a sequence's runs took to settle after its last command (stuck after 90 s). */
  longestSettleMs: number;
  commandCounts: Record<string, number>;
  durationMs: number;
  /** The minimal failing sequence (after shrinking), its violations and how to replay it. */
  failure: { commands: string[]; violations: string[]; seed: number; path: string; shrinks: number; replay: string } | null;
  logs: string | null;
}

/** A sequence that broke an invariant: fast-check sees the throw, shrinks, and reports the smallest. */
class InvariantViolation extends Error {
  constructor(readonly violations: string[]) {
    super(violations.join('\n'));
  }
}

/**
 * The randomized model test: fast-check generates command sequences, each runs against one shared
 * real stack (scoped by its own run ids and idempotency keys) and is checked against the invariants.
 */
export async function runModel(opts: ModelOptions): Promise<ModelReport> {
  const started = Date.now();
  const m = await ModelStack.start(opts.logDir);
  const report: ModelReport = {
    seed: opts.seed,
    ok: false,
    sequencesGenerated: 0,
    sequencesExecuted: 0,
    commandsExecuted: 0,
    runs: 0,
    executions: 0,
    reexecutions: 0,
    overlaps: 0,
    longestOverlapMs: 0,
    deletedByRetention: 0,
    retryEvents: 0,
    longestSettleMs: 0,
    commandCounts: {},
    durationMs: 0,
    failure: null,
    logs: null,
  };
  const lastViolations = new Map<ModelCommand[], string[]>();
  const add = (v: SequenceVerdict, commands: ModelCommand[]) => {
    report.sequencesExecuted++;
    report.commandsExecuted += commands.length;
    for (const c of commands) report.commandCounts[c.kind] = (report.commandCounts[c.kind] ?? 0) + 1;
    report.runs += v.runs;
    report.executions += v.executions;
    report.reexecutions += v.reexecutions;
    report.overlaps += v.overlaps;
    report.longestOverlapMs = Math.max(report.longestOverlapMs, v.longestOverlapMs);
    report.deletedByRetention += v.deletedByRetention;
    report.retryEvents += v.retryEvents;
    report.longestSettleMs = Math.max(report.longestSettleMs, v.settleMs);
  };
  // The counter as committed (the metrics hash), not as /metrics serves it: a scrape is cached for
  // 5 s per orchestrator (fleet-metrics.ts), so a "before" read from one orchestrator's cache could
  // miss the previous sequence's last retry and charge it to this one.
  const retries = async () => {
    const raw = await m.stack.db.hgetall(m.stack.keys.metrics());
    return Object.entries(raw).reduce((sum, [field, v]) => (field.startsWith('stage_retries_total|') ? sum + Number(v) : sum), 0);
  };

  const property = fc.asyncProperty(modelSequence(opts.minCommands, opts.maxCommands), async (commands) => {
    await m.heal();
    const before = await retries();
    const trace = await executeSequence(m, commands, newScope());
    const verdict = await checkSequence(m, trace, before, retries);
    add(verdict, commands);
    opts.log(`sequence ${report.sequencesExecuted}: ${commands.length} commands, ${verdict.runs} runs, ${verdict.executions} executions, settled in ${(verdict.settleMs / 1000).toFixed(1)} s — ${verdict.violations.length === 0 ? 'ok' : `${verdict.violations.length} violation(s)`}`);
    for (const v of verdict.violations) opts.log(`  ✗ ${v}`);
    if (verdict.violations.length > 0) {
      lastViolations.set(commands, verdict.violations);
      throw new InvariantViolation(verdict.violations);
    }
  });

  let failed = false;
  try {
    const details = await fc.check(property, {
      seed: opts.seed,
      numRuns: opts.sequences,
      ...(opts.path ? { path: opts.path } : {}),
      // A run longer than the budget stops shrinking and reports the smallest failure found so far.
      interruptAfterTimeLimit: opts.timeLimitMs ?? opts.sequences * 120_000 + opts.shrinkBudgetMs,
      markInterruptAsFailure: false,
      endOnFailure: false,
    });
    report.sequencesGenerated = details.numRuns;
    if (details.failed && details.counterexample) {
      failed = true;
      const [commands] = details.counterexample;
      const violations = lastViolations.get(commands) ?? [String(details.errorInstance)];
      report.failure = {
        commands: commands.map(formatCommand),
        violations,
        seed: details.seed,
        path: details.counterexamplePath ?? '',
        shrinks: details.numShrinks,
        replay: `pnpm chaos --model --seed ${details.seed} --path ${details.counterexamplePath ?? ''}`,
      };
    }
    report.ok = !details.failed;
  } finally {
    report.durationMs = Date.now() - started;
    report.logs = await m.close(failed);
  }
  return report;
}

/** The report as lines for the console (and the failure's minimal sequence). */
export function formatModelReport(r: ModelReport): string {
  const lines = [
    `model test ${r.ok ? 'PASS' : 'FAIL'} (seed ${r.seed}): ${r.sequencesGenerated} sequences generated, ${r.sequencesExecuted} executed (shrinking included), ${r.commandsExecuted} commands, ${r.runs} runs`,
    `executions ${r.executions}, re-executions ${r.reexecutions}, overlaps ${r.overlaps} (longest ${r.longestOverlapMs} ms), runs deleted by retention ${r.deletedByRetention}, retry events ${r.retryEvents}, longest settle ${(r.longestSettleMs / 1000).toFixed(1)} s, ${Math.round(r.durationMs / 1000)} s`,
    `commands: ${Object.entries(r.commandCounts).map(([k, n]) => `${k} ${n}`).join(', ')}`,
  ];
  if (r.failure) {
    lines.push(`minimal failing sequence (${r.failure.shrinks} shrinks; replay: ${r.failure.replay}):`);
    r.failure.commands.forEach((c, i) => lines.push(`  ${i + 1}. ${c}`));
    lines.push('violations:', ...r.failure.violations.map((v) => `  ✗ ${v}`));
    if (r.logs) lines.push(`process logs: ${r.logs}`);
  }
  return lines.join('\n');
}
