import { errorMessage, type Logger } from '@baton/platform';

/**
 * Runs `tick` every `intervalMs` (no overlap) until stopped. `wake()` runs it early. Errors are
 * logged once per distinct message so a Redis outage doesn't flood the log.
 */
export class Loop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private lastError = '';

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly tick: () => Promise<void>,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), ms);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    this.timer = null;
    if (this.stopped || this.running) return;
    this.again = false;
    this.running = this.tick()
      .then(() => {
        if (this.lastError) this.log.info({ loop: this.name }, 'loop recovered');
        this.lastError = '';
      })
      .catch((e: unknown) => {
        const msg = errorMessage(e);
        if (msg !== this.lastError) this.log.warn({ loop: this.name, err: msg }, 'loop iteration failed; will retry');
        this.lastError = msg;
      })
      .finally(() => {
        this.running = null;
      });
    await this.running;
    if (!this.stopped) this.schedule(this.again ? 0 : this.intervalMs);
  }
}
