import type { ChaosStack } from './stack.js';

interface Pending {
  jobId: string;
  killedAt: number;
  victim: string;
  deadline: number;
}

/**
 * Measures "kill → the stage running again": after a kill, polls each job the victim held (its
 * BullMQ hash: `processedOn`, `processedBy`, written when a worker makes the job active) until another
 * agent has made it active after the kill. A job whose hash disappears had finished before the kill
 * (its result was applied and the job removed).
 */
export class RerunWatcher {
  readonly delays: number[] = [];
  finishedBeforeKill = 0;
  notRerun = 0;
  private readonly pending: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(private readonly stack: ChaosStack) {}

  start(): void {
    this.timer ??= setInterval(() => void this.poll(), 100);
  }

  watch(jobIds: readonly string[], victim: string, killedAt: number, timeoutMs = 120_000): void {
    for (const jobId of jobIds) this.pending.push({ jobId, victim, killedAt, deadline: killedAt + timeoutMs });
  }

  /** Waits until every watched job was seen again (or timed out), then stops polling. */
  async stop(): Promise<void> {
    while (this.pending.length > 0) await new Promise((r) => setTimeout(r, 100));
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async poll(): Promise<void> {
    if (this.busy || this.pending.length === 0) return;
    this.busy = true;
    try {
      const batch = [...this.pending];
      const pipe = this.stack.db.pipeline();
      const jobKey = (id: string) => `${this.stack.keys.bullPrefix}:${this.stack.keys.queue('noop')}:${id}`;
      for (const p of batch) pipe.hmget(jobKey(p.jobId), 'processedOn', 'processedBy', 'timestamp');
      const results = (await pipe.exec()) ?? [];
      const now = Date.now();
      batch.forEach((p, i) => {
        const [err, value] = results[i] ?? [new Error('no reply'), null];
        if (err) return;
        const [processedOn, processedBy, created] = value as (string | null)[];
        let done = true;
        if (created === null) this.finishedBeforeKill++;
        else if (processedOn !== null && Number(processedOn) >= p.killedAt && processedBy !== p.victim) this.delays.push(Number(processedOn) - p.killedAt);
        else if (now > p.deadline) this.notRerun++;
        else done = false;
        if (done) this.pending.splice(this.pending.indexOf(p), 1);
      });
    } catch {
      // try again on the next tick
    } finally {
      this.busy = false;
    }
  }
}
