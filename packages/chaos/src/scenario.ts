import { auditViolations, type RunAudit } from './audit.js';
import type { Random } from './random.js';
import type { ChaosStack, StackOptions } from './stack.js';
import type { SubmissionStats } from './submitter.js';

export type Mode = 'full' | 'reduced';

/** Sizes of one scenario (numbers only, so they print and serialise as they are). */
export type Sizes = Record<string, number>;

export interface ScenarioContext {
  mode: Mode;
  /** This scenario's generator (forked from the battery seed by scenario name). */
  rng: Random;
  rec: ScenarioRecorder;
  log(message: string): void;
  /** Starts a stack that is closed when the scenario ends (logs kept when it failed). */
  stack(opts?: Omit<StackOptions, 'label' | 'logDir'>): Promise<ChaosStack>;
}

export interface Scenario<S extends Sizes = Sizes> {
  id: number;
  name: string;
  title: string;
  /** What must hold, in one line (printed in docs and reports). */
  invariant: string;
  sizes: { full: S; reduced: S };
  run(ctx: ScenarioContext, size: S): Promise<void>;
}

/** Collects a scenario's counts, figures and invariant violations. */
export class ScenarioRecorder {
  readonly violations: string[] = [];
  readonly counts: Record<string, number> = {};
  readonly figures: Record<string, number | string | null> = {};
  /** The injected faults, for the table ("104 agent kill -9"). */
  faults = '';
  /** The scenario's key figures, for the table. */
  headline = '';

  /** Records a violation unless `ok`. */
  check(ok: boolean, violation: string): void {
    if (!ok) this.violations.push(violation);
  }

  count(name: string, n: number): void {
    this.counts[name] = n;
  }

  figure(name: string, value: number | string | null): void {
    this.figures[name] = value;
  }

  /** The run audit's counts and violations. */
  audit(a: RunAudit): void {
    this.count('accepted', a.accepted);
    this.count('succeeded', a.succeeded);
    this.count('lost', a.lost.length);
    this.count('failed', a.failed.length);
    this.count('doubleCommits', a.doubleCommits.length);
    this.count('duplicateTransitions', a.duplicateTransitions.length);
    this.count('unannouncedRuns', a.unannounced);
    this.count('stageCommits', a.stageCommits);
    this.count('executions', a.executions);
    this.count('reexecutions', a.reexecutions);
    this.figure('settleMs', a.settleMs);
    this.violations.push(...auditViolations(a));
  }

  /** The submitter's counts; any answer other than 202 or 503 + Retry-After is a violation. */
  submissions(s: SubmissionStats): void {
    this.count('postAttempts', s.attempts);
    this.count('refused', s.refused);
    this.count('networkErrors', s.networkErrors);
    this.count('unexpectedAnswers', s.unexpected.length);
    this.check(s.gaveUp === 0, `${s.gaveUp} submission(s) were still refused after retrying for 2 minutes`);
    this.check(s.unexpected.length === 0, `${s.unexpected.length} submission(s) answered neither 202 nor 503 + Retry-After: ${s.unexpected.slice(0, 5).join('; ')}`);
  }
}

export interface ScenarioResult {
  id: number;
  name: string;
  title: string;
  invariant: string;
  mode: Mode;
  seed: number;
  ok: boolean;
  violations: string[];
  sizes: Sizes;
  faults: string;
  headline: string;
  counts: Record<string, number>;
  figures: Record<string, number | string | null>;
  durationMs: number;
  /** Process logs of a failed scenario. */
  logs: string[];
}
