import { ControlMessage, type Keys } from '@baton/contracts';
import { errorMessage, type Logger, type RedisClient } from '@baton/platform';

const CONTROL_BLOCK_MS = 60_000;
/** The reader stays connected this long after the agent's last task ended (or a catch-up began). */
export const CONTROL_LINGER_MS = 30_000;

interface Session {
  redis: RedisClient;
  running: boolean;
  loop: Promise<void>;
}

/**
 * Reads the agent type's control stream with a blocking XREAD, remembering the last id it saw, so
 * messages sent while the agent was disconnected are delivered when it reconnects.
 *
 * The reader has a connection of its own, open only while the agent runs tasks (cancel messages are
 * for running tasks) and for CONTROL_LINGER_MS after: an idle agent costs one connection less. A
 * reader opened again resumes from the last id it saw, so nothing sent meanwhile is skipped. An idle
 * agent gets a drain or restart from its heartbeat record instead (see heartbeat-thread), and reads
 * the stream for a while whenever a beat fails (`catchUp`), for anything a lost reply may have hidden.
 */
export class ControlListener {
  private lastId = '0-0';
  private started = false;
  private stopped = false;
  private busy = false;
  private session: Session | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;

  constructor(
    /** The agent's command connection: the start reads the newest message id with it. */
    private readonly command: RedisClient,
    /** Opens the reader's own connection (each time it is needed). */
    private readonly connect: () => RedisClient,
    private readonly keys: Keys,
    private readonly agentType: string,
    private readonly log: Logger,
    private readonly onMessage: (m: ControlMessage) => void,
  ) {}

  /** Starts after the newest existing message: older ones were meant for earlier agents. */
  async start(): Promise<void> {
    const newest = await this.command.xrevrange(this.keys.control(this.agentType), '+', '-', 'COUNT', 1);
    this.lastId = newest[0]?.[0] ?? '0-0';
    this.started = true;
    if (this.busy) this.open();
  }

  /** Whether the agent runs tasks: the reader is connected while it does, and lingers after. */
  setBusy(busy: boolean): void {
    this.busy = busy;
    if (busy) {
      this.clearLinger();
      this.open();
    } else if (this.session) {
      this.linger();
    }
  }

  /** Reads the stream for a while (from the last id seen), e.g. after a failed beat. */
  catchUp(): void {
    this.open();
    if (!this.busy) this.linger();
  }

  /** True while the reader has a connection (for tests and metrics). */
  get connected(): boolean {
    return this.session !== null;
  }

  private open(): void {
    if (!this.started || this.stopped || this.session) return;
    const redis = this.connect();
    const s: Session = { redis, running: true, loop: Promise.resolve() };
    s.loop = this.read(s);
    this.session = s;
  }

  private linger(): void {
    this.clearLinger();
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = null;
      if (!this.busy) void this.close();
    }, CONTROL_LINGER_MS);
    this.lingerTimer.unref();
  }

  private clearLinger(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
  }

  private async read(s: Session): Promise<void> {
    const key = this.keys.control(this.agentType);
    while (s.running) {
      try {
        // A new message wakes the read at once; the timeout only bounds an idle read's re-reads
        // (one command each), and a reconnect resends the read from the last id seen.
        const res = await s.redis.xread('BLOCK', CONTROL_BLOCK_MS, 'STREAMS', key, this.lastId);
        // A reply that arrives after the session closed is dropped unread: the next one re-reads it.
        if (!s.running) break;
        for (const [, entries] of res ?? []) {
          for (const [id, fields] of entries) {
            this.lastId = id;
            this.deliver(fields[1]);
          }
        }
      } catch (e: unknown) {
        if (!s.running) break;
        this.log.debug({ err: errorMessage(e) }, 'control stream read failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async close(): Promise<void> {
    const s = this.session;
    if (!s) return;
    this.session = null;
    s.running = false;
    s.redis.disconnect();
    await s.loop;
  }

  private deliver(raw: string | undefined): void {
    try {
      this.onMessage(ControlMessage.parse(JSON.parse(raw ?? '')));
    } catch {
      this.log.warn({ raw: raw?.slice(0, 200) }, 'ignoring malformed control message');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearLinger();
    await this.close();
  }
}
