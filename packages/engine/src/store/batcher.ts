import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from '@baton/platform';

/**
 * Collects calls made in the same turn of the event loop (e.g. the results of one event-stream read
 * being applied together) and sends them as one pipeline: one write for the client, one read for
 * Redis. Each caller still gets its own reply or error; a failed pipeline fails every call in it.
 */
export class Batcher<A, R> {
  private pending: { arg: A; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];

  constructor(
    private readonly redis: RedisClient,
    private readonly add: (pipe: ChainableCommander, arg: A) => void,
    private readonly reply: (raw: unknown, arg: A) => R,
  ) {}

  call(arg: A): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.pending.length === 0) process.nextTick(() => this.flush());
      this.pending.push({ arg, resolve, reject });
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    const pipe = this.redis.pipeline();
    for (const c of batch) this.add(pipe, c.arg);
    pipe.exec().then(
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
  }
}
