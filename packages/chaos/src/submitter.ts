import type { RunRequestInput } from '@baton/contracts';
import { api, errorCode } from './api.js';
import type { ChaosStack } from './stack.js';
import { sleep } from './stats.js';

/** What to submit: the request body and each stage's sleep (to estimate when an execution started). */
export interface RunSpec {
  request: RunRequestInput;
  stageMs: Record<string, number>;
}

/** A run the API accepted (202): from then on it must never be lost. */
export interface AcceptedRun {
  id: string;
  seq: number;
  acceptedAt: number;
  stageMs: Record<string, number>;
}

/** The answer to one POST /v1/runs. */
export interface Answer {
  /** Set when accepted (202). */
  run: AcceptedRun | null;
  /** null: no answer (network error, or no orchestrator running). */
  status: number | null;
  retryAfter: string | null;
  code: string | null;
  /** How long to wait before retrying. */
  waitMs: number;
}

export interface SubmissionStats {
  /** POST attempts, including retries. */
  attempts: number;
  /** 503 answers carrying Retry-After: refusals, not acceptances. */
  refused: number;
  /** Answers that are neither 202 nor 503 + Retry-After (each is an invariant violation). */
  unexpected: string[];
  /** Connection refused/reset or timeout (e.g. the orchestrator was just killed). */
  networkErrors: number;
  /** Submissions still not accepted after retrying for their whole timeout. */
  gaveUp: number;
}

/**
 * Submits runs through the API the way a careful client does: each logical submission has its own
 * Idempotency-Key and is retried — after a 503 (waiting Retry-After, capped to keep the battery
 * quick) or a network error, on any live orchestrator — until it is accepted. Only a 202 counts as
 * accepted.
 */
export class Submitter {
  readonly accepted: AcceptedRun[] = [];
  private readonly acceptedIds = new Set<string>();
  readonly stats: SubmissionStats = { attempts: 0, refused: 0, unexpected: [], networkErrors: 0, gaveUp: 0 };
  private seq = 0;
  private rr = 0;
  private readonly watcher: FinishWatcher;

  constructor(
    private readonly stack: ChaosStack,
    private readonly spec: (seq: number) => RunSpec,
    private readonly retryCapMs = 500,
  ) {
    this.watcher = new FinishWatcher(stack);
  }

  /**
   * Submits one run, retrying with the same Idempotency-Key until it is accepted or `giveUp()` says
   * stop. The first attempt goes to `firstUrl` when given, retries to the orchestrators in turn.
   */
  async submit(giveUp: () => boolean = () => false, firstUrl?: string, timeoutMs = 120_000): Promise<AcceptedRun | null> {
    const seq = ++this.seq;
    const spec = this.spec(seq);
    let url = firstUrl;
    const deadline = Date.now() + timeoutMs;
    while (!giveUp()) {
      if (Date.now() > deadline) {
        this.stats.gaveUp++;
        return null;
      }
      const a = await this.attempt(seq, spec, url);
      url = undefined;
      if (a.run) return a.run;
      await sleep(a.waitMs);
    }
    return null;
  }

  /** One POST of a new submission, without retrying. */
  async once(): Promise<Answer> {
    const seq = ++this.seq;
    return this.attempt(seq, this.spec(seq));
  }

  private async attempt(seq: number, spec: RunSpec, url?: string): Promise<Answer> {
    // Like a client with a list of instances: it does not know which are down (a killed one refuses connections).
    const all = this.stack.orchestratorUrls();
    if (all.length === 0) return { run: null, status: null, retryAfter: null, code: null, waitMs: 100 };
    const base = url ?? all[this.rr++ % all.length]!;
    this.stats.attempts++;
    try {
      const res = await api<{ id: string }>(base, 'POST', '/v1/runs', spec.request, { headers: { 'idempotency-key': `${this.stack.ns}-${seq}` } });
      const retryAfter = res.headers['retry-after'] ?? null;
      const code = errorCode(res.body);
      if (res.status === 202) {
        const run: AcceptedRun = { id: res.body.id, seq, acceptedAt: Date.now(), stageMs: spec.stageMs };
        if (!this.acceptedIds.has(run.id)) {
          this.acceptedIds.add(run.id);
          this.accepted.push(run);
        }
        return { run, status: 202, retryAfter, code, waitMs: 0 };
      }
      if (res.status === 503 && retryAfter !== null && Number(retryAfter) > 0) {
        this.stats.refused++;
        return { run: null, status: 503, retryAfter, code, waitMs: Math.min(Number(retryAfter) * 1000, this.retryCapMs) };
      }
      this.stats.unexpected.push(`${res.status} ${code ?? JSON.stringify(res.body).slice(0, 200)} (retry-after: ${retryAfter ?? 'none'})`);
      return { run: null, status: res.status, retryAfter, code, waitMs: this.retryCapMs };
    } catch {
      this.stats.networkErrors++;
      return { run: null, status: null, retryAfter: null, code: null, waitMs: 100 };
    }
  }

  /**
   * Keeps `lanes` runs in flight until `stop()` holds: each lane submits a run, waits until it has
   * finished (or `laneTimeoutMs` passed: the audit will say why), and submits the next.
   */
  async keepBusy(lanes: number, stop: () => boolean, laneTimeoutMs = 90_000): Promise<void> {
    const lane = async () => {
      while (!stop()) {
        const run = await this.submit(); // once begun, a submission is retried until accepted
        if (run) await this.watcher.finished(run.id, laneTimeoutMs);
      }
    };
    this.watcher.start();
    try {
      await Promise.all(Array.from({ length: lanes }, lane));
    } finally {
      this.watcher.stop();
    }
  }

  /** Submits `n` runs, `concurrency` at a time, without waiting for them to finish. */
  async submitMany(n: number, concurrency = 8): Promise<void> {
    let left = n;
    const worker = async () => {
      while (left > 0) {
        left--;
        await this.submit();
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  }

  /** The first acceptance at or after `t` (ms since epoch), or null. */
  firstAcceptedAfter(t: number): number | null {
    const times = this.accepted.map((r) => r.acceptedAt).filter((a) => a >= t);
    return times.length > 0 ? Math.min(...times) : null;
  }
}

/** Polls the run index for runs that are no longer active (finished, or gone), for the lanes. */
class FinishWatcher {
  private readonly waiting = new Map<string, { resolve: () => void; deadline: number }>();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(private readonly stack: ChaosStack) {}

  start(): void {
    this.timer ??= setInterval(() => void this.poll(), 200);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const w of this.waiting.values()) w.resolve();
    this.waiting.clear();
  }

  finished(runId: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => this.waiting.set(runId, { resolve, deadline: Date.now() + timeoutMs }));
  }

  private async poll(): Promise<void> {
    if (this.busy || this.waiting.size === 0) return;
    this.busy = true;
    const ids = [...this.waiting.keys()];
    let gone = new Set<string>();
    try {
      const pipe = this.stack.db.pipeline();
      for (const id of ids) pipe.zscore(this.stack.keys.runsActive(), id);
      const results = (await pipe.exec()) ?? [];
      gone = new Set(ids.filter((_, i) => results[i] !== undefined && results[i]![0] === null && results[i]![1] === null));
    } catch {
      // Redis is down (a scenario restarted it): only deadlines apply on this tick
    } finally {
      this.busy = false;
    }
    const now = Date.now();
    for (const id of ids) {
      const w = this.waiting.get(id);
      if (w && (gone.has(id) || now > w.deadline)) {
        this.waiting.delete(id);
        w.resolve();
      }
    }
  }
}
