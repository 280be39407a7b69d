import { errorMessage, type Logger, type RedisClient } from '@baton/platform';

/** A stage's output as it is produced (GET /v1/runs/:id/stages/:stage/logs). */
export interface LiveLog {
  /** Appends text; complete lines are sent in batches (a partial line waits for its newline or the end). */
  write(text: string): void;
  /** Replaces every occurrence of `secret` in what is sent from now on with `[redacted]`. */
  redact(secret: string): void;
}

export const LIVE_LOG_MAX_BYTES = 1024 * 1024;
export const LIVE_LOG_FLUSH_MS = 200;
const LIVE_LOG_BATCH_LINES = 200;
/** Safety cap on a stream's entries (every attempt of a dispatch shares it). */
const STREAM_MAX_ENTRIES = 20_000;
const REDACTED = '[redacted]';

/**
 * One attempt's live log: lines are redacted here, in the agent, then sent as one stream entry per
 * batch (`attempt`, `lines`: JSON array) every LIVE_LOG_FLUSH_MS. Past LIVE_LOG_MAX_BYTES the rest is
 * dropped and one `truncated` entry says so; `close()` sends the last partial line and an `end` entry.
 */
export class LiveLogWriter implements LiveLog {
  private partial = '';
  private pending: string[] = [];
  private bytes = 0;
  private truncated = false;
  private readonly secrets: string[] = [];
  /** Flushes pending lines every LIVE_LOG_FLUSH_MS; started by the first line (most tasks write none). */
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private sending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    private readonly attempt: number,
    private readonly log: () => Logger,
    private readonly maxBytes = LIVE_LOG_MAX_BYTES,
  ) {}

  redact(secret: string): void {
    if (secret.length >= 4 && !this.secrets.includes(secret)) this.secrets.push(secret);
  }

  write(text: string): void {
    if (this.truncated) return;
    const parts = (this.partial + text).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.push(line);
    if (this.pending.length >= LIVE_LOG_BATCH_LINES) this.flush();
  }

  private clean(line: string): string {
    let out = line;
    for (const s of this.secrets) out = out.split(s).join(REDACTED);
    return out;
  }

  private push(line: string): void {
    if (this.truncated) return;
    const clean = this.clean(line);
    this.bytes += Buffer.byteLength(clean) + 1;
    if (this.bytes > this.maxBytes) {
      this.truncated = true;
      this.flush();
      this.send(['attempt', String(this.attempt), 'truncated', String(this.maxBytes)]);
      return;
    }
    this.pending.push(clean);
    if (!this.timer && !this.closed) {
      this.timer = setInterval(() => this.flush(), LIVE_LOG_FLUSH_MS);
      this.timer.unref();
    }
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    this.send(['attempt', String(this.attempt), 'lines', JSON.stringify(lines)]);
  }

  private send(fields: string[]): void {
    // Chained, so batches land in order.
    this.sending = this.sending.then(() =>
      this.redis.xadd(this.key, 'MAXLEN', '~', STREAM_MAX_ENTRIES, '*', ...fields).catch((e: unknown) => this.log().debug({ err: errorMessage(e) }, 'live log batch not sent')),
    );
  }

  /** Sends what is left and the end marker. */
  async close(outcome: string): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.partial !== '') this.push(this.partial);
    this.partial = '';
    this.flush();
    this.send(['attempt', String(this.attempt), 'end', outcome]);
    await this.sending;
  }
}
