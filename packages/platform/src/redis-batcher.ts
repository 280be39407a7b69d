import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from './redis.js';

/**
 * Collects calls made close together and sends them as one pipeline: one write for the client, one
 * read for Redis. Each caller still gets its own reply or error; a failed pipeline fails every call
 * in it. `schedule` decides how close: `process.nextTick` (the default) batches the calls of one
 * callback, e.g. the results of one event-stream read; `setImmediate` batches across the callbacks
 * of one event-loop turn, e.g. responses to requests on different sockets.
 */
export class RedisBatcher<A, R> {
  private pending: { arg: A; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly redis: RedisClient,
    private readonly add: (pipe: ChainableCommander, arg: A) => void,
    private readonly reply: (raw: unknown, arg: A) => R,
    private readonly schedule: (flush: () => void) => void = process.nextTick,
  ) {}

  call(arg: A): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.pending.length === 0) this.schedule(() => this.flush());
      this.pending.push({ arg, resolve, reject });
    });
  }

  /** Sends what is pending now and resolves when every call made so far has its answer. */
  async idle(): Promise<void> {
    this.flush();
    await Promise.all(this.inFlight);
  }

  private flush(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const pipe = this.redis.pipeline();
    for (const c of batch) this.add(pipe, c.arg);
    const sent = pipe.exec().then(
      (results) => {
        batch.forEach((c, i) => {
          const [err, raw] = results?.[i] ?? [new Error('no reply in pipeline'), null];
          if (err) c.reject(err);
          else {
            try {
              c.resolve(this.reply(raw, c.arg));
            } catch (e: unknown) {
              c.reject(e);
            }
          }
        });
      },
      (e: unknown) => batch.forEach((c) => c.reject(e)),
    );
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }
}
