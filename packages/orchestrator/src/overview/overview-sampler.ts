import { OVERVIEW_MINUTE_MS, OVERVIEW_RETENTION_MINUTES, overviewField, overviewMinute, type Keys } from '@baton/contracts';
import type { Engine } from '@baton/engine';
import { errorMessage, type Logger, type RedisClient } from '@baton/platform';
import { readFleetGauges } from './fleet-gauges.js';

/**
 * Samples the overview's gauges (queue depth, oldest waiting age, agents alive per type) once per
 * minute into that minute's hash. Every orchestrator ticks; the first to claim the minute
 * (HSETNX g:at) samples it, so a fleet of orchestrators writes one sample per minute. A claimer
 * that dies before writing leaves that minute without a sample (shown as a gap).
 */
export class OverviewSampler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lastMinute = -1;
  private lastError = '';

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly engine: Engine,
    private readonly log: Logger,
    private readonly tickMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
    void this.tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Samples the current minute unless this process or another already did. */
  tick(): Promise<void> {
    this.running ??= this.sample()
      .then(() => {
        this.lastError = '';
      })
      .catch((e: unknown) => {
        const msg = errorMessage(e);
        if (msg !== this.lastError) this.log.warn({ err: msg }, 'overview sample failed; will retry');
        this.lastError = msg;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async sample(): Promise<void> {
    const at = this.now();
    const minute = overviewMinute(at);
    if (minute === this.lastMinute) return;
    const key = this.keys.overviewMinute(minute);
    const expireAt = (minute + 1 + OVERVIEW_RETENTION_MINUTES) * OVERVIEW_MINUTE_MS;
    const [[, claimed] = [null, 0]] = (await this.redis.multi().hsetnx(key, overviewField.sampledAt, at).pexpireat(key, expireAt).exec()) ?? [];
    this.lastMinute = minute;
    if (Number(claimed) !== 1) return;
    const gauges = await readFleetGauges(this.engine);
    if (gauges.size === 0) return;
    const fields: (string | number)[] = [];
    for (const [agent, g] of gauges) {
      fields.push(overviewField.waiting(agent), g.waiting, overviewField.oldestWaitingMs(agent), g.oldestWaitingMs, overviewField.alive(agent), g.alive);
    }
    await this.redis.multi().hset(key, ...fields).pexpireat(key, expireAt).exec();
  }
}
