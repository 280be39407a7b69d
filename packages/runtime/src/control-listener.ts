import { ControlMessage, type Keys } from '@baton/contracts';
import { errorMessage, type Logger, type RedisClient } from '@baton/platform';

const CONTROL_BLOCK_MS = 60_000;

/**
 * Reads the agent type's control stream with a blocking XREAD, remembering the last id it saw, so
 * messages sent while the agent was disconnected are delivered when it reconnects.
 */
export class ControlListener {
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly agentType: string,
    private readonly log: Logger,
    private readonly onMessage: (m: ControlMessage) => void,
  ) {}

  async start(): Promise<void> {
    const key = this.keys.control(this.agentType);
    // Start after the newest existing message: older ones were meant for earlier agents.
    const newest = await this.redis.xrevrange(key, '+', '-', 'COUNT', 1);
    let lastId = newest[0]?.[0] ?? '0-0';
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          // A new message wakes the read at once; the timeout only bounds an idle agent's re-reads
          // (one command each), and a reconnect resends the read from the last id seen.
          const res = await this.redis.xread('BLOCK', CONTROL_BLOCK_MS, 'STREAMS', key, lastId);
          for (const [, entries] of res ?? []) {
            for (const [id, fields] of entries) {
              lastId = id;
              this.deliver(fields[1]);
            }
          }
        } catch (e: unknown) {
          if (!this.running) break;
          this.log.debug({ err: errorMessage(e) }, 'control stream read failed; retrying');
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    })();
  }

  private deliver(raw: string | undefined): void {
    try {
      this.onMessage(ControlMessage.parse(JSON.parse(raw ?? '')));
    } catch {
      this.log.warn({ raw: raw?.slice(0, 200) }, 'ignoring malformed control message');
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.redis.disconnect();
    await this.loop;
  }
}
