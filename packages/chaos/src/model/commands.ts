import fc from 'fast-check';

/** How one stage of a submitted run behaves: its duration, failures and event-loop blocking. */
export interface StagePlan {
  ms: number;
  /** Fails (retryable) for attempts up to this number; 0 = never fails. */
  failUntil: number;
  /** Blocks the agent's event loop this long before sleeping (0 = not at all). */
  cpuMs: number;
}

/**
 * One step of a model sequence. Runs are referred to by index into the runs the sequence submitted
 * so far (modulo their number), so any subsequence (what shrinking produces) is still meaningful.
 */
export type ModelCommand =
  | { kind: 'submit'; stages: StagePlan[]; maxAttempts: number; key: number | null }
  | { kind: 'cancel' | 'pause' | 'resume' | 'retry' | 'age'; run: number }
  | { kind: 'retryFrom'; run: number; stage: number }
  | { kind: 'drain' | 'restartAgent' | 'killAgent' | 'killOrchestrator'; which: number }
  | { kind: 'restartRedis' }
  | { kind: 'wait'; ms: number };

const stagePlan: fc.Arbitrary<StagePlan> = fc.record({
  ms: fc.integer({ min: 50, max: 1500 }),
  failUntil: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }),
  cpuMs: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 500, max: 4500 }) }),
});

const submitCommand = fc.record({
  kind: fc.constant('submit' as const),
  stages: fc.array(stagePlan, { minLength: 1, maxLength: 3 }),
  maxAttempts: fc.integer({ min: 1, max: 3 }),
  key: fc.option(fc.nat({ max: 2 }), { nil: null }),
});

const run = fc.nat({ max: 7 });
const which = fc.nat({ max: 3 });

/** The command generator; weights favour submissions and operator actions over infrastructure faults. */
export const modelCommand: fc.Arbitrary<ModelCommand> = fc.oneof(
  { weight: 6, arbitrary: submitCommand },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('cancel' as const), run }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('pause' as const), run }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('resume' as const), run }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('retry' as const), run }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('retryFrom' as const), run, stage: fc.nat({ max: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('age' as const), run }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drain' as const), which }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restartAgent' as const), which }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('killAgent' as const), which }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('killOrchestrator' as const), which: fc.nat({ max: 1 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restartRedis' as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 50, max: 2000 }) }) },
);

/** A sequence of `min`–`max` commands that starts with a submission (so run references resolve). */
export function modelSequence(min: number, max: number): fc.Arbitrary<ModelCommand[]> {
  return fc
    .tuple(submitCommand, fc.array(modelCommand, { minLength: Math.max(0, min - 1), maxLength: Math.max(0, max - 1) }))
    .map(([first, rest]): ModelCommand[] => [first, ...rest]);
}

/** One line per command, for the printed counterexample. */
export function formatCommand(c: ModelCommand): string {
  switch (c.kind) {
    case 'submit':
      return `submit${c.key === null ? '' : ` key=k${c.key}`} maxAttempts=${c.maxAttempts} stages=[${c.stages
        .map((s) => `${s.ms}ms${s.failUntil ? ` fail≤${s.failUntil}` : ''}${s.cpuMs ? ` block ${s.cpuMs}ms` : ''}`)
        .join(', ')}]`;
    case 'retryFrom':
      return `retry run#${c.run} fromStage=s${c.stage + 1}`;
    case 'wait':
      return `wait ${c.ms}ms`;
    case 'restartRedis':
      return 'kill -9 Redis, restart on its AOF';
    default:
      return 'run' in c ? `${c.kind} run#${c.run}` : `${c.kind} #${c.which}`;
  }
}
